"""The FastAPI application of `shendu serve` (see docs/serving.md for the endpoints).

Everything a request can get wrong answers a JSON error ``{"error", "status": "error"}`` with a
4xx code (400 malformed, 401 token, 404 unknown model, 413 too large, 415 not the media the model
reads, 422 an input the model cannot take, 503 not ready, 504 timed out); a 500 means a bug.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from shendu.errors import InputError
from shendu.serve import inputs as request_inputs
from shendu.serve.batching import Batcher
from shendu.serve.config import ServeConfig
from shendu.serve.errors import AsValidation, ServiceError, error, validation_response
from shendu.serve.guard import Guard
from shendu.serve.metrics import ServiceMetrics
from shendu.serve.models import ServedModel, check_runs
from shendu.serve.reading import PREDICT_BODY, read_form, read_predict_request
from shendu.serve.schemas import (
    DocumentsAnswer,
    ErrorBody,
    Health,
    ModelInfo,
    ModelList,
    PredictResponse,
    Ready,
)

log = logging.getLogger(__name__)

ERRORS = {code: {"model": ErrorBody} for code in (400, 401, 404, 413, 415, 422, 503, 504)}


class Service:
    """The models, their batchers, the inference thread and the metrics of one app."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.models = {name: ServedModel(name, path) for name, path in check_runs(config.runs)}
        self.metrics = ServiceMetrics()
        self.executor: ThreadPoolExecutor | None = None
        self.loading: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return all(m.ready for m in self.models.values())

    async def start(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shendu-inference")
        for model in self.models.values():
            gauge = self.metrics.queue_depth.labels(model.name)
            batcher = Batcher(model.predict, self.config.max_batch_size, self.config.batch_timeout_ms / 1000,
                              self.executor, on_batch=self.metrics.batch_size.labels(model.name).observe)
            gauge.set_function(lambda b=batcher: b.depth)
            model.batcher = batcher
        self.loading = asyncio.get_running_loop().create_task(self._load_all())

    async def _load_all(self) -> None:
        loop = asyncio.get_running_loop()
        for model in self.models.values():
            await loop.run_in_executor(self.executor, model.load, self.config.warmup)
        # Move everything alive after loading (torch, the models, FastAPI) out of the garbage
        # collector's sight: a full collection then stops walking ~10^6 long-lived objects, which
        # measured as 100+ ms pauses in p99 latency under load (benchmarks/serve_load.py).
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        if self.loading is not None and not self.loading.done():
            self.loading.cancel()
        for model in self.models.values():
            if model.batcher is not None:
                await model.batcher.stop()
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    def model(self, name: str) -> ServedModel:
        if name not in self.models:
            raise ServiceError(404, f"no model named {name!r}; this service serves {', '.join(self.models)} "
                                    "(GET /v1/models lists them).")
        model = self.models[name]
        if not model.ready:
            raise ServiceError(503, f"model {name} is {model.state}; GET /ready says when every model is ready.",
                               {"Retry-After": "1"})
        return model

    async def predict(self, model: ServedModel, items: list[Any], options: dict[str, Any]) -> tuple[list, int]:
        """The results of ``items`` and the size of the batch they ran in."""
        assert model.batcher is not None
        try:
            results, batch_size = await asyncio.wait_for(model.batcher.submit(items, options), self.config.request_timeout_s)
        except TimeoutError:
            raise ServiceError(504, f"the prediction did not finish within {self.config.request_timeout_s:g} s "
                                    "(--request-timeout); the service is overloaded or the input is too large.") from None
        self.metrics.inputs.labels(model.name).inc(len(items))
        return results, batch_size


def create_app(config: ServeConfig) -> Any:
    """The app for ``config`` (its run folders are checked now, loaded in the background once the
    app starts; ``/ready`` says 200 when every model is loaded and warmed up)."""
    config.validate()
    service = Service(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="shendu serve", version=_version(), lifespan=lifespan,
                  description="Predictions from shendu run folders. See docs/serving.md.")
    app.state.service = service
    _add_handlers(app)
    _add_routes(app, service)
    static = resources.files("shendu.serve") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return Guard(app, service)  # type: ignore[return-value]


def app_from_env() -> Any:
    """The app of the settings in ``SHENDU_SERVE_CONFIG`` (each ``--workers`` process builds its own)."""
    import os

    from shendu.serve.config import CONFIG_ENV

    return create_app(ServeConfig.from_json(os.environ[CONFIG_ENV]))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shendu")
    except PackageNotFoundError:
        return "0"


def _add_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return error(exc.status, exc.message, exc.headers)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        status = 415 if isinstance(exc, request_inputs.UnsupportedMedia) else 422
        return error(status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404:
            message = f"no route {request.method} {request.url.path}; see /docs for the endpoints."
        elif exc.status_code == 405:
            allowed = (getattr(exc, "headers", None) or {}).get("allow", "another method")
            message = f"{request.url.path} does not take {request.method}; it takes {allowed} (see /docs)."
        return error(exc.status_code, message, getattr(exc, "headers", None))


def _add_routes(app: FastAPI, service: Service) -> None:
    # the schema names the models served, so clients (and schemathesis) see the valid names
    model_name = Path(description="A model's name: GET /v1/models lists them.",
                      json_schema_extra={"enum": list(service.models)})

    @app.get("/health", response_model=Health, tags=["service"])
    async def health() -> Health:
        """Liveness: 200 as long as the process answers (no token needed)."""
        return Health(status="ok")

    @app.get("/ready", response_model=Ready, responses={503: {"model": Ready}}, tags=["service"])
    async def ready() -> Any:
        """200 when every model is loaded and warmed up, 503 before (or when one failed to load)."""
        body = Ready(status="ready" if service.ready else "not ready",
                     models={m.name: m.state for m in service.models.values()})
        return body if service.ready else JSONResponse(body.model_dump(), status_code=503)

    @app.get("/metrics", tags=["service"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics: requests by route and status, latency, batch sizes, queue depth."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models", response_model=ModelList, responses=ERRORS, tags=["models"])
    async def list_models() -> ModelList:
        """Every model served: name, recipe, task, what it reads, labels and test metrics."""
        waiting = [m for m in service.models.values() if not m.ready]
        if waiting:
            raise ServiceError(503, f"{', '.join(m.name for m in waiting)} not ready yet ({waiting[0].state}); "
                                    "retry when GET /ready says 200.", {"Retry-After": "1"})
        return ModelList(models=[ModelInfo(**m.info()) for m in service.models.values()])

    @app.get("/v1/models/{name}", response_model=ModelInfo, responses=ERRORS, tags=["models"])
    async def model_info(name: str = model_name) -> ModelInfo:
        """One model's description."""
        return ModelInfo(**service.model(name).info())

    @app.post("/v1/models/{name}/predict", response_model=PredictResponse, responses=ERRORS, tags=["models"],
              openapi_extra=PREDICT_BODY)
    async def predict(request: Request, name: str = model_name) -> PredictResponse:
        """Predict one input or a batch: JSON (``{"image": base64}``, ``{"text": ...}``, ``{"numbers":
        [...]}``, ``{"audio": base64}``, or ``{"inputs": [...]}``) or a multipart upload (``file``)."""
        started = time.perf_counter()
        model = service.model(name)
        try:
            items, options = await read_predict_request(request, model, service.config.max_inputs)
        except AsValidation as exc:
            return validation_response(exc.errors)  # type: ignore[return-value]
        results, batch_size = await service.predict(model, items, options)
        return PredictResponse(model=name, task=model.predictor.task, predictions=results,
                               latency_ms=round((time.perf_counter() - started) * 1000, 3), batch_size=batch_size)

    @app.post("/predict", response_model=DocumentsAnswer, responses=ERRORS, tags=["documents"],
              openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                  "type": "object", "properties": {"image": {"type": "string", "format": "binary"}},
                  "required": ["image"]}}}}})
    async def documents_predict(request: Request, model: str | None = None) -> DocumentsAnswer:
        """The source documents' Flask contract: a multipart ``image`` field in, ``{"predicted_class",
        "confidence", "status": "success"}`` out (errors: ``{"error", "status": "error"}`` with a
        4xx code). ``?model=NAME`` picks the model; the default is the first image classifier."""
        chosen = model or next((m.name for m in service.models.values()
                                if m.predictor is not None and m.predictor.task == "image-classification"), None)
        if chosen is None:
            if not service.ready:
                raise ServiceError(503, "the models are still loading; retry when GET /ready says 200.",
                                   {"Retry-After": "1"})
            raise ServiceError(404, "no image classifier is served; POST /v1/models/NAME/predict instead.")
        served = service.model(chosen)
        if served.predictor.task != "image-classification":
            raise ServiceError(404, f"model {chosen} is a {served.predictor.task} model; /predict serves image "
                                    "classifiers. POST /v1/models/NAME/predict instead.")
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
            raise ServiceError(415, "POST /predict takes multipart/form-data with an `image` file field, e.g. "
                                    "requests.post(url, files={'image': open('digit.png', 'rb')}).")
        form = await read_form(request, 1, 5)
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            raise ServiceError(400, "No image provided: send the picture as a multipart file field named `image`.")
        image = request_inputs.image_from_bytes(await upload.read(), upload.filename or "image")
        results, _ = await service.predict(served, [image], {"top_k": 1})
        best = results[0]["top"][0]
        label = best["label"]
        return DocumentsAnswer(predicted_class=int(label) if label.isdigit() else label,
                               confidence=best["probability"])

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(resources.files("shendu.serve") / "static" / "index.html"))
