"""How a run folder's model is stored and run (model.json's ``format``), read by `shendu.load`.

- ``torch``: ``model.safetensors`` in float32, loaded into the model that ``factory`` builds.
- ``torch-int8``: ``model.safetensors`` with int8 weights (``shendu compress --quantize
  dynamic``), run by torch.ao's int8 kernels (see :mod:`shendu.compress.quantize` for why torch.ao).
- ``onnx``: ``model.onnx``, run by ONNX Runtime (``shendu export``); no torch model is built.

int8 storage, one rule for every quantized weight: symmetric int8 per output row (dim 0),
``q = round(w / s)``, ``s = max|w_row| / 127``, saved as an int8 tensor plus a float32 scale
per row (``__scale__.<name>``). Loading multiplies back (one rounding: exactly reproducible)
and hands the weights to the same runtime quantizer `shendu compress` tested, so `shendu
evaluate` reproduces its metrics exactly.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from shendu.errors import RunFolderError

if TYPE_CHECKING:
    from shendu.predict.predictor import ModelSpec
    from shendu.runfolder import RunFolder

FORMATS = ("torch", "torch-int8", "onnx")
ONNX_FILE = "model.onnx"
SCALE_PREFIX = "__scale__."


def open_model(folder: RunFolder, spec: ModelSpec) -> nn.Module:
    """The run's model in eval mode, from its verified model file, as its ``format`` says.

    Nothing is allocated for a hand-edited or swapped model.json before it is known to fit the
    weights: the file's SHA-256 is checked first, then the kwargs are bounded by the numbers the
    file holds, then the model is built on the meta device (shapes only) and compared with the
    file, and only then built for real.

    Raises:
        RunFolderError: a missing or corrupt model file, or a model.json that does not fit it.
    """
    from shendu.models import build_model

    if spec.format == "onnx":
        return OnnxModule(folder.read_verified(ONNX_FILE, spec.weights_sha256))
    state = folder.load_weights(expected_sha256=spec.weights_sha256)
    where = folder.file("model.safetensors")
    if spec.format == "torch-int8":
        state = int8_decode(state, where)
    described = str(folder.file("model.json"))
    check_sizes(spec.kwargs, state, described, where)  # before the meta build: a huge num_layers takes hours even there
    with torch.device("meta"):
        skeleton = build_model(spec.factory, spec.kwargs, described)
    differences = state_differences({k: tuple(v.shape) for k, v in skeleton.state_dict().items()},
                                    {k: tuple(v.shape) for k, v in state.items()})
    if differences:
        raise RunFolderError(f"{described} and {where} do not belong together: the model model.json describes "
                             f"({spec.factory} with its `kwargs`) does not fit the weights: {differences}. Restore "
                             "the two files from the same run, or train again.")
    model = build_model(spec.factory, spec.kwargs, described)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # shapes and names were compared above; this is what is left (dtypes)
        raise RunFolderError(f"{where} does not fit the model that model.json describes ({spec.factory}): "
                             f"{' '.join(str(exc).split())[:300]} Restore the matching files or train again.") from None
    if spec.format == "torch-int8":
        layers = (spec.variant.details.get("layers") if spec.variant is not None else None) or []
        return quantize_dynamic_layers(model, layers)
    return model.eval()


def check_sizes(kwargs: dict[str, Any], state: dict[str, torch.Tensor], described: str, where: Any) -> None:
    """Refuse a size or count in ``kwargs`` that no model stored in ``state`` can have, before a
    model is built from it: a layer of width n holds at least n numbers, and each of
    ``num_layers`` layers at least one tensor."""
    numbers = sum(t.numel() for t in state.values())
    for name, value in kwargs.items():
        if isinstance(value, bool) or not isinstance(value, int):
            continue
        limit, what = (len(state), "tensors") if name == "num_layers" else (numbers, "numbers")
        if value > limit:
            raise RunFolderError(f"{described} `kwargs.{name}` is {value:,}, more than all {limit:,} {what} {where} "
                                 "holds: model.json and the weights do not belong together (a hand-edited or swapped "
                                 "file). Restore the two files from the same run, or train again.")


def state_differences(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]], most: int = 5) -> str:
    """What differs between the tensor shapes a model has (``expected``) and a file's (``found``),
    as one phrase (empty when they match)."""

    def listed(items: list[str]) -> str:
        return ", ".join(items[:most]) + (f" and {len(items) - most} more" if len(items) > most else "")

    shapes = [f"{k} is {list(expected[k])} in the model, {list(found[k])} in the file"
              for k in expected if k in found and expected[k] != found[k]]
    missing = [k for k in expected if k not in found]
    extra = [k for k in found if k not in expected]
    parts = [listed(shapes)] if shapes else []
    if missing:
        parts.append(f"the file lacks {listed(missing)}")
    if extra:
        parts.append(f"the model has no {listed(extra)}")
    return "; ".join(parts)


def int8_decode(stored: dict[str, torch.Tensor], where: Any = "model.safetensors") -> dict[str, torch.Tensor]:
    """The float32 state_dict that :func:`int8_encode` stored (int8 rows times their scale)."""
    out = {k: v for k, v in stored.items() if not k.startswith(SCALE_PREFIX)}
    for key, scale in stored.items():
        if key.startswith(SCALE_PREFIX):
            name = key[len(SCALE_PREFIX):]
            q = out.get(name)
            if q is None or q.dim() == 0 or scale.numel() != q.shape[0]:
                raise RunFolderError(f"{where} has the int8 scale {key} without an int8 tensor {name} of "
                                     f"{scale.numel()} rows; the file is damaged. Make the variant again with "
                                     "`shendu compress`.")
            out[name] = q.float() * scale.reshape(-1, *([1] * (q.dim() - 1)))
    return out


def quantize_dynamic_layers(model: nn.Module, layers: Iterable[str]) -> nn.Module:
    """A copy of ``model`` (eval mode) with its ``layers`` types running int8 kernels (torch.ao)."""
    from torch.ao.quantization import (
        default_dynamic_qconfig,
        float_qparams_weight_only_qconfig,
        quantize_dynamic,
    )

    layers = set(layers)
    spec: dict[Any, Any] = {}
    if "Linear" in layers:
        spec[nn.Linear] = default_dynamic_qconfig
    if "LSTM" in layers:
        spec[nn.LSTM] = default_dynamic_qconfig
    if "Embedding" in layers:
        spec[nn.Embedding] = float_qparams_weight_only_qconfig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's "migrate to torchao" notice, and per-tensor warnings
        quantized = quantize_dynamic(copy.deepcopy(model).eval(), spec, dtype=torch.qint8)
    for module in quantized.modules():
        if isinstance(module, torch.ao.nn.quantized.Embedding):
            module.register_forward_pre_hook(_contiguous_indices)
    return quantized


def _contiguous_indices(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """torch.ao's int8 embedding kernel refuses indices that are views with gaps (BERT's token
    types are ``zeros[:, :T].expand(B, T)``); nn.Embedding takes them, so its int8 twin must."""
    return tuple(a.contiguous() if isinstance(a, torch.Tensor) else a for a in args)


def quantized_layer_names(model: nn.Module) -> dict[str, str]:
    """``{module name: its int8 class}`` (``DynamicQuantizedLinear``, ...) of every int8 layer."""
    return {name: m._get_name() for name, m in model.named_modules()
            if type(m).__module__.startswith("torch.ao.nn.quantized") and "PackedParams" not in type(m).__name__}


class OnnxModule(nn.Module):
    """An ONNX Runtime session behind the ``nn.Module`` call the task kinds make: a tensor in,
    the model's first output as a tensor out. No parameters, nothing of torch's model rebuilt.

    Args:
        data: the ``.onnx`` bytes (already checked against model.json's SHA-256).
        threads: intra-op threads of the session (``None``: ONNX Runtime's default, all cores).
    """

    def __init__(self, data: bytes, threads: int | None = None) -> None:
        super().__init__()
        self._data = data
        self.set_threads(threads)

    def set_threads(self, threads: int | None) -> None:
        """Recreate the session with ``threads`` intra-op threads (what `shendu compare` varies)."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(self._data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise RunFolderError(f"model.onnx could not be loaded by ONNX Runtime ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:200]}); export the run again.") from None
        self.input_name = self.session.get_inputs()[0].name
        self.threads = threads

    @property
    def size_bytes(self) -> int:
        return len(self._data)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        array = x.detach().cpu().numpy()
        (out, *_) = self.session.run(None, {self.input_name: array})
        return torch.from_numpy(np.asarray(out))

    def __repr__(self) -> str:
        return f"OnnxModule({len(self._data):,} bytes, threads={self.threads})"
