"""`shendu serve RUN...`: an HTTP service and web page over trained run folders.

FastAPI + uvicorn; every prediction goes through :func:`shendu.load`'s Predictor (the service is
a thin caller of it) behind a small asyncio dynamic batcher (:mod:`shendu.serve.batching`).
See docs/serving.md.
"""

from shendu.serve.config import ServeConfig

__all__ = ["ServeConfig", "create_app"]


def create_app(config: ServeConfig):  # noqa: ANN201 - FastAPI is imported lazily
    from shendu.serve.app import create_app as _create_app

    return _create_app(config)
