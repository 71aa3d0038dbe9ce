"""The outermost ASGI layer of the service: the body-size limit, the bearer token, the request
metrics."""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import Match

from shendu.serve.errors import error

# reachable without the token: liveness, and the page's static shell (it holds no model data:
# the page asks for the token and sends it with every API call)
PUBLIC_PATHS = ("/health", "/", "/favicon.ico")
PUBLIC_PREFIXES = ("/static/",)


class BodyTooLarge(Exception):
    pass


class Guard:
    """The outermost ASGI layer: the body-size limit (413 before a large body is read), the
    bearer token, and the request metrics (by route template, so the labels stay few)."""

    def __init__(self, app: FastAPI, service: Any) -> None:
        self.app, self.service = app, service
        self.state = app.state  # tests and the CLI reach the service as app.state.service

    def route_of(self, scope: dict[str, Any]) -> str:
        for route in self.app.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "path", "other")
        return "other"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        route, status = self.route_of(scope), [500]

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            refusal = self.refuse(scope)
            if refusal is not None:
                await refusal(scope, receive, send_status)
                return
            limit, seen = self.service.config.max_body_bytes, [0]

            async def limited_receive() -> dict[str, Any]:
                message = await receive()
                if message["type"] == "http.request":
                    seen[0] += len(message.get("body", b""))
                    if seen[0] > limit:
                        raise BodyTooLarge
                return message

            try:
                await self.app(scope, limited_receive, send_status)
            except BodyTooLarge:
                if status[0] == 500:  # nothing sent yet
                    await _too_large(limit)(scope, receive, send_status)
        finally:
            path = scope.get("path", "")
            if not path.startswith("/static/"):
                metrics = self.service.metrics
                metrics.requests.labels(route, scope.get("method", ""), str(status[0])).inc()
                metrics.latency.labels(route).observe(time.perf_counter() - started)

    def refuse(self, scope: dict[str, Any]) -> JSONResponse | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        length = headers.get("content-length")
        limit = self.service.config.max_body_bytes
        if length is not None:
            if not length.isdigit():
                return error(400, f"Content-Length must be a number of bytes; got {length!r}.")
            if int(length) > limit:
                return _too_large(limit, int(length))
        token = self.service.config.token
        path = scope.get("path", "")
        if token is None or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return None
        given = headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            why = "no Authorization header" if not given else "a wrong token"
            return error(401, f"this service needs a bearer token (Authorization: Bearer TOKEN); got {why}.",
                         {"WWW-Authenticate": "Bearer"})
        return None


def _too_large(limit: int, length: int | None = None) -> JSONResponse:
    got = f"{length:,} bytes" if length is not None else f"more than {limit:,} bytes"
    return error(413, f"the body is too large: at most {limit:,} bytes are read (--max-body-bytes); got {got}. "
                      "Send a smaller file, or fewer inputs per request.")
