"""Text classification: the documents' ``{"sentiment", "confidence", "probabilities"}`` per text,
tokenised with the run folder's own ``tokenizer.json``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from shendu.data.specs import InputSpec, TextSpec
from shendu.errors import InputError
from shendu.predict.kinds.base import Result
from shendu.predict.kinds.classification import ClassifierKind
from shendu.terminal import safe_text

if TYPE_CHECKING:
    from rich.console import Console

    from shendu.predict.predictor import Predictor

SENTIMENT_LABELS = ["negative", "positive"]


@dataclass
class TextPrediction(Result):
    """``label_key`` is ``sentiment`` for negative/positive models, ``label`` otherwise;
    ``attention``: the most attended tokens (``explain``)."""

    text: str
    label: str
    confidence: float
    probabilities: dict[str, float]
    label_key: str = "label"
    attention: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, self.label_key: self.label, "confidence": self.confidence,
                               "probabilities": self.probabilities}
        if self.attention is not None:
            out["attention"] = self.attention
        return out


class TextClassification(ClassifierKind):
    task = "text-classification"
    input_kind = "text"
    options = {"explain": 0}
    test_noun = "test reviews"

    def prepare(self, run_dir: Path, spec: InputSpec) -> Any:
        from shendu.data.tokenize import load_tokenizer

        return load_tokenizer(Path(run_dir) / spec.tokenizer)  # type: ignore[attr-defined]

    @torch.no_grad()
    def predict(self, predictor: Predictor, inputs: Sequence[Any], explain: int = 0) -> list[TextPrediction]:
        """Raises InputError for an empty, binary or over-long text, or ``explain`` without attention."""
        from shendu.data.text import check_text
        from shendu.data.tokenize import encode

        if isinstance(explain, bool) or not isinstance(explain, int) or explain < 0:
            raise InputError(f"explain (--explain) must be a whole number >= 0; got {explain!r}.")
        spec: TextSpec = predictor.input_spec  # type: ignore[assignment]
        tokenizer, labels = predictor.state, predictor.labels
        texts = [check_text(t) for t in inputs]
        key = "sentiment" if labels == SENTIMENT_LABELS else "label"
        with_attention = getattr(predictor.model, "forward_with_attention", None)
        if explain and with_attention is None:
            raise InputError(f"--explain needs a model with attention; run {predictor.run.path} has none "
                             "(use imdb-lstm-attention, imdb-transformer or reviews-zh --set model=lstm-attention).")
        results = []
        for text, ids in zip(texts, encode(tokenizer, texts, spec.max_length, spec.special_tokens, spec.head),
                             strict=True):
            batch = torch.from_numpy(ids)[None]
            logits, weights = with_attention(batch) if explain else (predictor.model(batch), None)
            probabilities = torch.softmax(logits, dim=1)[0]
            best = int(probabilities.argmax())
            attention = None
            if explain:
                if weights is None:
                    raise InputError(f"--explain needs a model with attention; run {predictor.run.path} has none "
                                     "(use imdb-lstm-attention, imdb-transformer or reviews-zh --set model=lstm-attention).")
                top = weights[0].topk(min(explain, len(ids)))
                attention = [{"token": tokenizer.id_to_token(int(ids[i])), "weight": round(float(w), 4)}
                             for w, i in zip(top.values, top.indices, strict=True)]
            results.append(TextPrediction(
                text=text if len(text) <= 200 else text[:197] + "...", label=labels[best], label_key=key,
                confidence=round(float(probabilities[best]), 6),
                probabilities={label: round(float(p), 6) for label, p in zip(labels, probabilities, strict=True)},
                attention=attention))
        return results

    def render(self, results: Sequence[Any], console: Console) -> None:
        from rich.table import Table

        table = Table()
        for column in ("text", "class", "confidence", "most attended tokens"):
            table.add_column(column)
        for item in results:
            tokens = ", ".join(f"{safe_text(a['token'])} ({a['weight']:.3f})" for a in item.attention or [])
            table.add_row(safe_text(item.text), safe_text(item.label), f"{item.confidence:.4f}", tokens or "—")
        console.print(table)


TEXT_CLASSIFICATION = TextClassification()
