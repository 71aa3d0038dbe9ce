"""``shendu compress --quantize dynamic``: int8 weights on disk, int8 kernels at run time.

Which layers, and which backend runs them (``python benchmarks/int8_backends.py``: batch 1,
1 thread on this project's 2-core CPU; benchmarks/RESULTS.md): ``nn.Linear`` -> torch.ao
dynamic int8 (``DynamicQuantizedLinear``: int8 weights, activations quantized per call);
``nn.Embedding`` -> torch.ao weight-only int8 rows (``QuantizedEmbedding``: reads and
dequantizes only the rows it looks up); ``nn.LSTM`` -> torch.ao dynamic int8
(``DynamicQuantizedLSTM``) only when asked: its kernels ran 6x slower than oneDNN's float32
LSTM. torchao covers Linear and Embedding too (``Int8WeightOnlyConfig``,
``Int8DynamicActivationInt8WeightConfig``), but on this CPU its Linear ran 2.7-16x and its
Embedding 570x slower than float32 (it dequantizes the whole table on every call), against
1.2x and 1.7x for torch.ao, so torch.ao is the backend that makes these layers 4x smaller at
the smallest cost in speed. For speed, export to ONNX Runtime (docs/compression.md). The
storage format is in :mod:`shendu.predict.formats`.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from shendu.predict.formats import SCALE_PREFIX

LAYER_TYPES = {"Linear": nn.Linear, "Embedding": nn.Embedding, "LSTM": nn.LSTM}


def quantizable_weights(model: nn.Module, layers: Iterable[str]) -> dict[str, str]:
    """``{state_dict key: layer type}`` of every weight matrix of the ``layers`` types."""
    types = tuple(LAYER_TYPES[name] for name in layers)
    out: dict[str, str] = {}
    for module_name, module in model.named_modules():
        if isinstance(module, types):
            prefix = f"{module_name}." if module_name else ""
            for param_name, param in module.named_parameters(recurse=False):
                if param.dim() >= 2:  # weights, not biases
                    out[prefix + param_name] = type(module).__name__
    return out


def int8_encode(state: dict[str, torch.Tensor], names: Iterable[str]) -> dict[str, torch.Tensor]:
    """``state`` with each of ``names`` stored as int8 rows plus a float32 scale per row."""
    out = dict(state)
    for name in names:
        weight = state[name].detach().float()
        rows = weight.reshape(weight.shape[0], -1)
        scale = rows.abs().amax(dim=1) / 127.0
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # an all-zero row stays zero
        out[name] = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8).reshape(weight.shape)
        out[SCALE_PREFIX + name] = scale.float()
    return out
