"""Reading a predict request: JSON (:class:`~shendu.serve.schemas.PredictRequest`) or multipart,
into the inputs a model's kind reads and its options; and the OpenAPI description of both."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from shendu.errors import InputError
from shendu.serve import inputs as request_inputs
from shendu.serve.errors import AsValidation, ServiceError
from shendu.serve.models import ServedModel
from shendu.serve.schemas import PredictRequest


async def read_predict_request(request: Request, model: ServedModel, max_inputs: int) -> tuple[list, dict]:
    """The inputs (as the model's kind reads them) and options of a predict request: JSON
    (:class:`PredictRequest`) or multipart (``file`` fields, one per input, plus options)."""
    kind = model.predictor.input_spec.kind
    spec = model.predictor.input_spec
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        try:
            parsed = PredictRequest.model_validate_json(body)
        except ValidationError as exc:
            raise AsValidation(exc.errors()) from None
        items = parsed.inputs if parsed.inputs is not None else [parsed]
        if parsed.inputs is not None and any(getattr(parsed, f) is not None for f in request_inputs.FIELD_OF_KIND.values()):
            raise InputError("send either one input at the top level or `inputs`, not both.")
        if len(items) > max_inputs:
            raise ServiceError(413, f"a request may carry up to {max_inputs} inputs; got {len(items)}. Split it.")
        decoded = [request_inputs.from_item(kind, item.model_dump(exclude={"inputs", "top_k", "explain",
                                                                          "score_threshold"}), i, spec)
                   for i, item in enumerate(items)]
        options = {k: getattr(parsed, k) for k in ("top_k", "explain", "score_threshold") if getattr(parsed, k) is not None}
    elif content_type == "multipart/form-data":
        form = await read_form(request, max_inputs, 20)
        files = [v for k, v in form.multi_items() if k in ("file", "image", "audio") and not isinstance(v, str)]
        texts = [v for k, v in form.multi_items() if k == "text" and isinstance(v, str)]
        if not files and not texts:
            raise ServiceError(400, "the multipart body has no `file` field; send the input as a file field named "
                                    "`file` (or `image`).")
        caption = form.get("caption") if isinstance(form.get("caption"), str) else None
        decoded = [request_inputs.from_upload(kind, await f.read(), f.filename or f"upload {i}", caption, spec)
                   for i, f in enumerate(files)]
        decoded += [request_inputs.from_upload(kind, t.encode("utf-8"), "text field", caption, spec) for t in texts]
        raw = {k: form.get(k) for k in ("top_k", "explain", "score_threshold") if isinstance(form.get(k), str)}
        try:
            opts = PredictRequest.model_validate({"inputs": [{}], **raw})
        except ValidationError as exc:
            raise AsValidation(exc.errors()) from None
        options = {k: getattr(opts, k) for k in raw}
    else:
        raise ServiceError(415, f"send application/json or multipart/form-data; got Content-Type "
                                f"{content_type or '(none)'!r}.")
    unknown = sorted(set(options) - set(model.options))
    if unknown:
        raise InputError(f"{', '.join(unknown)} is not an option of {model.predictor.task} models; they take "
                         f"{', '.join(model.options) or 'none'}.")
    return decoded, options


async def read_form(request: Request, max_files: int, max_fields: int) -> Any:
    """The multipart form; too many files is 413 (like too many JSON inputs), a malformed body 400."""
    from starlette.exceptions import HTTPException

    try:
        return await request.form(max_files=max_files, max_fields=max_fields)
    except HTTPException as exc:
        too_many = "Too many files" in str(exc.detail)
        raise ServiceError(413 if too_many else 400, f"{exc.detail} "
                           f"{'Split the inputs into several requests.' if too_many else 'Send a well-formed multipart body.'}") from None


PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}},
            "multipart/form-data": {"schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "array", "items": {"type": "string", "format": "binary"},
                             "description": "One file per input: an image, an audio clip, or a text file."},
                    "caption": {"type": "string", "description": "Multimodal models: the caption."},
                    "top_k": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "explain": {"type": "integer", "minimum": 0, "maximum": 512},
                    "score_threshold": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["file"],
            }},
        },
    }
}


