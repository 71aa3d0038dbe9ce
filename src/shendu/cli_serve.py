"""`shendu serve RUN...`: the HTTP service and web page (registers on :data:`shendu.cli.app`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from shendu.cli import app, console, user_errors
from shendu.terminal import safe_text


@app.command()
def serve(
    runs: Annotated[list[Path], typer.Argument(help="Run folders to serve (of any kind, compressed and ONNX too).")],
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 serves other machines too.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    max_batch_size: Annotated[int, typer.Option(help="The most inputs run as one batch.")] = 32,
    batch_timeout_ms: Annotated[float, typer.Option(help="How long a batch waits to fill when the model is free "
                                                         "(0: at once; under load batches fill by themselves).")] = 0.0,
    workers: Annotated[int, typer.Option(help="Worker processes (each loads every model and gets cores/N torch "
                                                 "threads); on a CPU, as many as cores serves fastest.")] = 1,
    token: Annotated[str | None, typer.Option(help="Bearer token every route but /health requires "
                                                   "(default: $SHENDU_TOKEN; none when unset).")] = None,
    max_body_bytes: Annotated[int, typer.Option(help="Larger request bodies are refused with 413.")] = 10 * 1024 * 1024,
    request_timeout: Annotated[float, typer.Option(help="Seconds before a prediction answers 504.")] = 30.0,
    max_inputs: Annotated[int, typer.Option(help="The most inputs in one request.")] = 64,
    graceful_timeout: Annotated[float, typer.Option(help="On SIGTERM, seconds in-flight requests get to finish.")]
    = 30.0,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve RUNs over HTTP: a web page at /, predictions at /v1/models/NAME/predict (and the
    documents' POST /predict), /docs, /health, /ready and /metrics. See docs/serving.md."""
    # torch's OpenMP threads otherwise spin between batches, taking the CPU the HTTP side needs
    # (set before torch is first imported, which is below)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if workers > 1:  # the cores shared out between the workers: N processes x (cores / N) torch threads
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    with user_errors():
        import uvicorn

        from shendu.serve.app import create_app
        from shendu.serve.config import CONFIG_ENV, ServeConfig

        config = ServeConfig(runs=[str(r) for r in runs], host=host, port=port, max_batch_size=max_batch_size,
                             batch_timeout_ms=batch_timeout_ms, workers=workers, token=token,
                             max_body_bytes=max_body_bytes, request_timeout_s=request_timeout, max_inputs=max_inputs,
                             graceful_timeout_s=graceful_timeout).with_env_token()
        application = create_app(config)  # checks the settings and every run folder before binding
        names = safe_text(", ".join(application.state.service.models))
        console.print(f"serving {names} on [bold]http://{safe_text(host)}:{port}/[/] (API docs at /docs; GET /ready says "
                      f"when the models are loaded){'; bearer token required' if config.token else ''}")
        options = {"host": host, "port": port, "log_level": log_level, "timeout_graceful_shutdown": graceful_timeout,
                   "access_log": log_level == "debug"}
    if workers == 1:
        uvicorn.run(application, **options)
    else:
        os.environ[CONFIG_ENV] = config.to_json()
        uvicorn.run("shendu.serve.app:app_from_env", factory=True, workers=workers, **options)
