"""The service's JSON errors: ``{"error": message, "status": "error"}`` with a 4xx/5xx code."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ServiceError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": "error"}, status_code=status, headers=headers)


def validation_response(errors: Any) -> JSONResponse:
    errors = list(errors)
    if any(e.get("type") == "json_invalid" for e in errors):
        return error(400, "the body is not valid JSON; send e.g. {\"text\": \"a review\"} with "
                          "Content-Type: application/json.")
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg')}")
    return error(422, "the request does not match the schema (see /docs): " + "; ".join(parts) + ".")


class AsValidation(Exception):
    """Validation errors found while reading a body by hand (answered like FastAPI's own)."""

    def __init__(self, errors: Any) -> None:
        self.errors = errors
