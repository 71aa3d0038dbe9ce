"""ONNX export and the ONNX Runtime model that runs it in place of the torch one.

Export uses torch's TorchScript-based exporter (``dynamo=False``, opset 17): on torch 2.14 it
exports every shendu classifier and forecaster with a dynamic batch axis (and a dynamic token
axis for text), where the dynamo exporter fixed the batch size of the text LSTM. The exported
file is checked against the torch model on random and real inputs before it is kept.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from shendu.errors import ShenduError
from shendu.predict.formats import OnnxModule

OPSET = 17


def export_onnx(model: nn.Module, example: torch.Tensor, sequence_axis: bool) -> bytes:
    """``model`` as ONNX bytes, batch axis dynamic (and axis 1 too when ``sequence_axis``).

    Raises:
        ShenduError: the exporter refused an operation (the message names it).
    """
    axes: dict[int, str] = {0: "batch"}
    if sequence_axis:
        axes[1] = "tokens"
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (example,), buffer, dynamo=False, opset_version=OPSET,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": axes, "output": {0: "batch"}})
    except Exception as exc:  # the exporter raises many types (UnsupportedOperatorError, RuntimeError...)
        raise ShenduError(f"{type(model).__name__} cannot be exported to ONNX: {str(exc).splitlines()[0][:300]}. "
                          "Export works for the classifiers and forecasters; use `shendu compress` for this run.") from None
    return buffer.getvalue()


def max_difference(model: nn.Module, onnx_model: OnnxModule, batches: Sequence[torch.Tensor]) -> float:
    """The largest absolute difference between torch's and ONNX Runtime's outputs on ``batches``."""
    worst = 0.0
    with torch.no_grad():
        for batch in batches:
            expected = model(batch)
            got = onnx_model(batch)
            if got.shape != expected.shape:
                raise ShenduError(f"the ONNX model returns shape {tuple(got.shape)} where torch returns "
                                  f"{tuple(expected.shape)}; the export is not kept.")
            worst = max(worst, float((got.float() - expected.float()).abs().max()))
    return worst


def ort_quantize_dynamic(data: bytes) -> bytes:
    """ONNX Runtime's dynamic int8 quantization (MatMul/Gemm/LSTM weights int8, activations per call)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    return _through_files(data, lambda src, dst: quantize_dynamic(src, dst, weight_type=QuantType.QInt8))


def ort_quantize_static(data: bytes, calibration: Sequence[np.ndarray]) -> bytes:
    """ONNX Runtime's static int8 quantization (QDQ, per-channel weights), activations calibrated
    on ``calibration`` batches (training inputs)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {"input": batch}

    return _through_files(data, lambda src, dst: quantize_static(
        src, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8))


def _through_files(data: bytes, run: Any) -> bytes:
    """onnxruntime.quantization reads and writes paths: do it in a private temporary folder."""
    import tempfile

    level = logging.getLogger().level  # onnxruntime.quantization logs its advice on the root logger
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger().setLevel(logging.ERROR)
        src, dst = Path(folder) / "in.onnx", Path(folder) / "out.onnx"
        src.write_bytes(data)
        try:
            run(str(src), str(dst))
        finally:
            logging.getLogger().setLevel(level)
        return dst.read_bytes()
