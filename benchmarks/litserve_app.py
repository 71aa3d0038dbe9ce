"""The same run folder served by LitServe (0.2.x), the maintained batching server that
benchmarks/serve_load.py compares `shendu serve` with.

Same contract as the documents' Flask app and shendu's ``POST /predict``: a multipart ``image``
field in, ``{"predicted_class", "confidence", "status": "success"}`` out (plus ``batch_size``, how
many inputs the model call that answered this request ran together, so the benchmark can report
LitServe's batch sizes; the client ignores it otherwise). Same model (``shendu.load(run).model``),
same preprocessing (the run's ``image_to_tensor``), same batching settings as `shendu serve`'s
defaults: ``max_batch_size=32``, ``batch_timeout=0.005`` s, on CPU, one inference worker, one API
server process.

How LitServe 0.2.19 runs this: the API server process (uvicorn, forked) reads the multipart form
(``request.form()``; LitServe keeps uploads in memory so they pickle) and puts it on a
multiprocessing queue; the inference worker (a spawned process) collects up to ``max_batch_size``
requests or until ``batch_timeout`` has passed since it started collecting (it polls the queue
every millisecond), calls ``decode_request`` on each (PNG decode and preprocessing, one by one, in
the worker), ``batch`` (the default: ``torch.stack`` of the tensors), ``predict`` on the stacked
batch, ``unbatch`` (the default: ``list(output)``) and ``encode_response`` per request, and sends
each answer back through a queue to the API server.

    python benchmarks/litserve_app.py RUN [--port 8001] [--threads N]
"""

from __future__ import annotations

import argparse
import io
from typing import Any

import litserve as ls

MAX_BATCH_SIZE = 32
BATCH_TIMEOUT_S = 0.005


class ShenduImageAPI(ls.LitAPI):
    def __init__(self, run: str, threads: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run, self.threads = run, threads

    def setup(self, device: str) -> None:
        import torch

        import shendu

        if self.threads:
            torch.set_num_threads(self.threads)
        predictor = shendu.load(self.run)
        self.model = predictor.model.eval().to(device)
        self.spec = predictor.input_spec
        self.device = device

    def decode_request(self, request):  # noqa: ANN001, ANN201 - unannotated on purpose (below)
        """The multipart form (LitServe hands it over when the request is multipart): the
        ``image`` field's bytes -> the run's input tensor ``(C, H, W)``.

        No annotations here nor on ``encode_response``'s return: LitServe builds its FastAPI
        endpoint from them, and an annotation (a string, under ``from __future__ import
        annotations``) would turn the request into a query parameter."""
        from PIL import Image

        from shendu.data.images import image_to_tensor

        upload = request["image"]
        image = Image.open(io.BytesIO(upload.file.read()))
        return image_to_tensor(image, self.spec)

    def predict(self, x: Any) -> list[dict[str, Any]]:
        """``x``: the batch LitServe stacked, ``(N, C, H, W)``; one answer per input."""
        import torch

        with torch.no_grad():
            probabilities = torch.softmax(self.model(x.to(self.device)), dim=1)
        confidence, predicted = probabilities.max(dim=1)
        n = len(x)
        return [{"predicted_class": int(c), "confidence": float(p), "batch_size": n}
                for c, p in zip(predicted.tolist(), confidence.tolist(), strict=True)]

    def encode_response(self, output):  # noqa: ANN001, ANN201
        return {**output, "status": "success"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run folder to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--max-batch-size", type=int, default=MAX_BATCH_SIZE)
    parser.add_argument("--batch-timeout-ms", type=float, default=BATCH_TIMEOUT_S * 1000)
    args = parser.parse_args()
    api = ShenduImageAPI(args.run, args.threads, max_batch_size=args.max_batch_size,
                         batch_timeout=args.batch_timeout_ms / 1000)
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=1, timeout=30)
    server.run(host=args.host, port=args.port, num_api_servers=1, generate_client_file=False,
               log_level="warning")


if __name__ == "__main__":
    main()
