"""What a variant run folder records about how it was made (model.json's ``variant``). No torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Variant:
    """How a run was derived from another one.

    Args:
        method: ``quantize-dynamic``, ``quantize-static``, ``prune-l1``, ``prune-structured``,
            ``distill``, ``onnx`` or ``onnx-int8``.
        parent: the run folder it was made from (as given on the command line).
        parent_weights_sha256: model.json's ``weights_sha256`` of that run.
        backend: what runs the model: ``torch``, ``torch.ao`` (fbgemm int8 kernels),
            ``torchao``, ``onnxruntime``; several joined with ``+``.
        details: the method's settings and what it did (layers and their backend, amount,
            sparsity per layer, opset, temperature...).
    """

    method: str
    parent: str
    parent_weights_sha256: str
    backend: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
