"""The Python API behind `shendu compress` and `shendu export`: each takes a run folder and
writes a new one next to it (or under ``out``), returning it with its test metrics."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from shendu.compress.runs import VariantRun, open_parent, variant_path, write_variant
from shendu.errors import ShenduError
from shendu.predict.variant import Variant
from shendu.runfolder import RunFolder, atomic_write_bytes

log = logging.getLogger(__name__)

QUANTIZE_LAYERS = ("Linear", "Embedding", "LSTM")


def _float_parent(run: Path | str, action: str) -> Any:
    parent = open_parent(run)
    if parent.spec.format != "torch":
        raise ShenduError(f"{action} takes a float32 torch run; {parent.run.path} is a {parent.spec.format} variant "
                          f"({parent.spec.variant.method if parent.spec.variant else '?'}). Use the run it was made from.")
    return parent


def quantize_dynamic_run(run: Path | str, layers: tuple[str, ...] = ("Linear", "Embedding"),
                         out: Path | None = None) -> tuple[RunFolder, dict[str, Any]]:
    """int8 weights for every layer of the ``layers`` types (int8 on disk, torch.ao int8 kernels
    at run time; :mod:`shendu.compress.quantize` says why these layers and this backend)."""
    from shendu.compress.quantize import int8_encode, quantizable_weights
    from shendu.models import build_model
    from shendu.predict.formats import int8_decode, quantize_dynamic_layers, quantized_layer_names

    unknown = sorted(set(layers) - set(QUANTIZE_LAYERS))
    if unknown or not layers:
        raise ShenduError(f"--layers takes some of {', '.join(QUANTIZE_LAYERS)}; got {', '.join(layers) or 'none'}.")
    parent = _float_parent(run, "compress --quantize dynamic")
    names = quantizable_weights(parent.model, layers)
    if not names:
        raise ShenduError(f"{parent.spec.factory} has no {', '.join(layers)} layer to quantize; its layers are "
                          f"{', '.join(sorted({type(m).__name__ for m in parent.model.modules()}))}.")
    stored = int8_encode(parent.model.state_dict(), names)
    model = build_model(parent.spec.factory, parent.spec.kwargs)
    model.load_state_dict(int8_decode(stored))
    quantized = quantize_dynamic_layers(model, layers)
    modules = quantized_layer_names(quantized)
    int8_params = sum(stored[n].numel() for n in names)
    variant = Variant("quantize-dynamic", str(run), parent.spec.weights_sha256, "torch.ao",
                      {"layers": list(layers), "quantized_modules": modules, "int8_weights": sorted(names),
                       "engine": torch.backends.quantized.engine})
    what = (f"Dynamic int8 quantization of the {', '.join(layers)} layers: {len(modules)} modules "
            f"({', '.join(f'{k} -> {v}' for k, v in list(modules.items())[:8])}{' ...' if len(modules) > 8 else ''}) "
            f"run torch.ao's int8 kernels (engine {torch.backends.quantized.engine}). {int8_params:,} of "
            f"{parent.spec.num_parameters:,} parameters are stored as int8 (one float32 scale per row); the "
            "rest stay float32.")
    spec = replace(parent.spec, format="torch-int8", variant=variant)
    result = VariantRun(model=quantized, spec=spec, what=what, extra_metrics={"int8_parameters": int8_params},
                        write_weights=lambda folder: folder.save_weights(stored, metadata={"format": "shendu-int8"}))
    return write_variant(parent, result, variant_path(parent.run.path, "int8", out))


def export_onnx_run(run: Path | str, quantize: str | None = None, out: Path | None = None,
                    calibration_batches: int = 8) -> tuple[RunFolder, dict[str, Any]]:
    """The run as ``model.onnx`` run by ONNX Runtime, checked against torch on random and real
    inputs; ``quantize``: ``dynamic`` or ``static`` (calibrated on training inputs) int8 by
    ONNX Runtime's quantizer."""
    from shendu.compress.onnx import (
        OPSET,
        export_onnx,
        max_difference,
        ort_quantize_dynamic,
        ort_quantize_static,
    )
    from shendu.predict.formats import ONNX_FILE, OnnxModule

    if quantize not in (None, "dynamic", "static"):
        raise ShenduError(f"--int8 takes dynamic or static; got {quantize!r}.")
    parent = _float_parent(run, "export")
    test = parent.spec.test_data.build(parent.spec.input, parent.run.path) if parent.spec.test_data else None
    if test is None:
        raise ShenduError(f"{parent.run.path} has no `test_data` in model.json: the export cannot be checked on real "
                          "inputs. Train the run again with this shendu.")
    real = _real_batches(test, 3)
    sequence = real[0].dtype == torch.int64 and real[0].dim() == 2
    data = export_onnx(parent.model, real[0][:2], sequence_axis=sequence)
    onnx_model = OnnxModule(data)
    random = [_random_like(b, parent) for b in real[:2]]
    difference = max_difference(parent.model, onnx_model, real + random)
    method, backend, details = "onnx", "onnxruntime", {"opset": OPSET, "exporter": "torch.onnx (TorchScript)",
                                                       "dynamic_axes": ["batch", *(["tokens"] if sequence else [])],
                                                       "max_abs_difference_to_torch": difference}
    what = (f"Exported with torch.onnx (TorchScript exporter, opset {OPSET}), batch axis dynamic"
            f"{' and token axis dynamic' if sequence else ''}; run by ONNX Runtime "
            f"{_ort_version()} on the CPU. Largest difference from the torch model's outputs on "
            f"{sum(len(b) for b in real)} real test inputs and {sum(len(b) for b in random)} random ones: {difference:.3g}.")
    if quantize == "dynamic":
        data = ort_quantize_dynamic(data)
        method, what = "onnx-int8", what + " Then ONNX Runtime's dynamic int8 quantization (int8 weights of MatMul/Gemm"\
            " and recurrent layers, activations quantized per call)."
    elif quantize == "static":
        recurrent = sorted({type(m).__name__ for m in parent.model.modules() if isinstance(m, torch.nn.RNNBase)})
        if recurrent:
            raise ShenduError(f"--quantize static is for feed-forward and convolutional networks; "
                              f"{parent.spec.factory} has {', '.join(recurrent)} layers, whose activations a static "
                              "calibration does not fit (a series-lstm's test RMSE went from 1.23 to 23.6). Use "
                              "--quantize dynamic, or `shendu export RUN --int8 dynamic`.")
        if real[0].dtype != torch.float32:
            raise ShenduError("--int8 static calibrates float inputs (images, vectors, series); this run reads "
                              f"{real[0].dtype} inputs. Use --int8 dynamic.")
        calibration = [b.numpy() for b in _real_batches(_train_split(parent), calibration_batches)]
        data = ort_quantize_static(data, calibration)
        method, what = "quantize-static", what + (f" Then ONNX Runtime's static int8 quantization (QDQ, per-channel int8 "
                                            f"weights, uint8 activations calibrated on {sum(len(c) for c in calibration)} "
                                            "training inputs).")
    if quantize is not None:
        details["int8"] = quantize
        onnx_model = OnnxModule(data)
    variant = Variant(method, str(run), parent.spec.weights_sha256, backend, details)
    spec = replace(parent.spec, format="onnx", variant=variant)

    def write(folder: RunFolder) -> str:
        import hashlib

        atomic_write_bytes(folder.file(ONNX_FILE), data)
        return hashlib.sha256(data).hexdigest()

    result = VariantRun(model=onnx_model, spec=spec, write_weights=write, what=what,
                        extra_metrics={"max_abs_difference_to_torch": difference})
    suffix = {None: "onnx", "dynamic": "onnx-int8", "static": "int8-static"}[quantize]
    return write_variant(parent, result, variant_path(parent.run.path, suffix, out))


def _real_batches(dataset: Any, count: int, batch_size: int = 32) -> list[torch.Tensor]:
    from torch.utils.data import DataLoader

    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=getattr(dataset, "collate_fn", None))
    batches = []
    for inputs, _ in loader:
        if not isinstance(inputs, torch.Tensor):
            raise ShenduError("export takes runs whose model reads one tensor (classifiers, forecasters); this run's "
                              f"inputs are {type(inputs).__name__}s.")
        batches.append(inputs)
        if len(batches) == count:
            break
    return batches


def _random_like(batch: torch.Tensor, parent: Any) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    if batch.dtype == torch.int64:  # token ids: any id of the vocabulary, padding at the end of one row
        ids = torch.randint(1, int(batch.max()) + 1, batch.shape, generator=generator)
        ids[0, batch.shape[1] // 2:] = 0
        return ids
    return torch.randn(batch.shape, generator=generator) * batch.std() + batch.mean()


def _train_split(parent: Any) -> Any:
    """The parent's training inputs, for calibration: the recipe's data rebuilt as training saw
    it (with its augmentation, seeded)."""
    from shendu.recipes import get_recipe

    recipe = get_recipe(parent.config.recipe)
    config = recipe.config_from_dict(parent.config.config)
    torch.manual_seed(config.seed)
    return recipe.make_task(config).data.train


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__
