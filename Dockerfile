# shendu serve in a container: the CPU build of torch, a non-root user, a health check.
#
#   docker build -t shendu .
#   docker run --rm -p 8000:8000 -v "$PWD/runs/mnist-cnn-20261202-002349:/models/mnist:ro" shendu /models/mnist
#
# The run folders to serve are mounted read-only (or baked in with a COPY in an image of your
# own: FROM shendu, then COPY runs/NAME /models/NAME). tests/serve/test_docker.py runs these
# steps in a fresh virtual environment, since no Docker engine runs on the build machine.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_WAIT_POLICY=PASSIVE

# libgomp for torch's CPU kernels, libsndfile for the speech recipe's audio; nothing else
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 libsndfile1 \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 shendu
WORKDIR /app

# torch's CPU build first (~200 MB instead of the multi-GB CUDA build PyPI gives)
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --index-url ${TORCH_INDEX} "torch>=2.6,<2.15" "torchvision>=0.21,<0.30"

COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

USER shendu
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
ENTRYPOINT ["shendu", "serve", "--host", "0.0.0.0", "--port", "8000"]
CMD ["/models/run"]
