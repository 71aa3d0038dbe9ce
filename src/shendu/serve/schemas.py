"""The request and response bodies, as pydantic models: `/openapi.json` and `/docs` describe
every endpoint from these, and requests are validated against them (422 with the field named)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class InputItem(Strict):
    """One input; set the one field the model reads (``GET /v1/models`` says which)."""

    image: str | None = Field(None, description="An image file's bytes in base64 (or a data: URL): image, "
                                                "detection and multimodal models.", max_length=20_000_000)
    text: str | None = Field(None, description="A text: text-classification models.", max_length=100_000)
    numbers: list[float] | None = Field(None, description="Numbers: a feature vector (vector models) or a history, "
                                                          "oldest first (forecasters).", max_length=100_000)
    audio: str | None = Field(None, description="A wav/flac/ogg file's bytes in base64: speech models.",
                              max_length=20_000_000)
    caption: str | None = Field(None, description="The caption read with the image: multimodal models.",
                                max_length=10_000)


class PredictRequest(InputItem):
    """One input (its field at the top level) or several (``inputs``), and the kind's options."""

    inputs: list[InputItem] | None = Field(None, description="Several inputs, predicted as a batch.",
                                           min_length=1, max_length=1024)
    top_k: int | None = Field(None, ge=1, le=1000, description="Classifiers: how many classes to return.")
    explain: int | None = Field(None, ge=0, le=512, description="Text models with attention: the most attended "
                                                                "tokens to return.")
    score_threshold: float | None = Field(None, ge=0, le=1, description="Detectors: the lowest box score returned.")


class PredictResponse(BaseModel):
    model: str = Field(description="The model's name (its run folder's name).")
    task: str
    predictions: list[dict[str, Any]] = Field(description="One result per input, in order, as `shendu predict "
                                                          "--json` prints it.")
    latency_ms: float = Field(description="Time in the service, from request to answer.")
    batch_size: int = Field(description="Inputs in the batch this request ran in (dynamic batching).")


class ModelInfo(BaseModel):
    name: str
    recipe: str
    task: str
    input_kind: str
    input_field: str = Field(description="The field of an input item this model reads.")
    input: dict[str, Any]
    labels: list[str]
    num_parameters: int
    format: str
    metrics: dict[str, Any]
    options: list[str]
    attention: bool = Field(False, description="Text models: whether `explain` is available.")


class ModelList(BaseModel):
    models: list[ModelInfo]


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    models: dict[str, str] = Field(description="Each model's state: loading, ready or failed (with why).")


class ErrorBody(BaseModel):
    error: str
    status: str = "error"


class DocumentsAnswer(BaseModel):
    """The source documents' Flask contract: ``POST /predict`` with a multipart ``image``."""

    predicted_class: int | str
    confidence: float
    status: str = "success"
