"""Serving fixtures: small trained runs, and real uvicorn servers on loopback ports."""

from __future__ import annotations

import base64
import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from shendu.serve.config import ServeConfig
from tests.conftest import trained_once


@pytest.fixture(scope="session")
def mnist_run(tmp_path_factory) -> Path:
    """mnist-cnn on the shipped sample, narrow and short (2 epochs): a real image classifier."""
    return trained_once(tmp_path_factory, "serve-mnist", "mnist-cnn", "--epochs", "2", "--set", "conv1=8",
                        "--set", "conv2=16", "--set", "hidden=32", "--set", "augment=false")


@pytest.fixture(scope="session")
def xor_run(tmp_path_factory) -> Path:
    """The documents' XOR network: a vector model that reads 2 numbers."""
    return trained_once(tmp_path_factory, "serve-xor", "xor")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(runs: list[Path], wait_ready: bool = True, **settings) -> Iterator[str]:
    """`shendu serve`'s app under a real uvicorn server on a free loopback port (in a thread of
    this process); yields its base URL and shuts it down gracefully at exit."""
    import uvicorn

    from shendu.serve.app import create_app

    config = ServeConfig(runs=[str(r) for r in runs], port=free_port(), **settings)
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=config.port, log_level="warning",
                                           timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{config.port}"
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    while wait_ready and httpx.get(f"{url}/ready", headers=headers).status_code != 200:
        assert time.monotonic() < deadline, httpx.get(f"{url}/ready", headers=headers).text
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
