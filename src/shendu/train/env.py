"""env.json: what a run ran on (versions, platform, CPU model and instruction sets, threads, data
checksum, git commit).

Floating-point results differ between CPUs (torch picks kernels by instruction set: AVX2,
AVX-512, AMX, BF16), so two runs of the same command can only be compared when env.json says
which CPU each ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from shendu.data.base import DataBundle, dataset_checksum

# the instruction sets that decide which kernels torch and oneDNN run (names as in /proc/cpuinfo)
CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
             "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")

_PACKAGES = ("shendu", "torch", "torchvision", "lightning", "torchmetrics", "numpy", "scikit-learn", "safetensors", "mlxtend")


def collect_env(data: DataBundle) -> dict[str, Any]:
    """The facts of this machine and of ``data``: ``data.sha256`` covers every split as read,
    ``data.test_sha256`` the test split exactly as the model reads it (what evaluate checks)."""
    import torch

    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu": cpu_info(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "packages": versions,
        "data": {"source": data.source, "sha256": data.checksum, "test_sha256": dataset_checksum(data.test)},
        "git_commit": _git_commit(),
        "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
    }


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """``{"model": "AMD EPYC 7B13", "flags": {"avx2": True, ...}, "torch_capability": "AVX512"}``:
    the CPU's model name, which of :data:`CPU_FLAGS` it has (``None`` each where the OS does
    not say, e.g. off Linux) and the kernel family torch chose
    (``torch.backends.cpu.get_cpu_capability()``)."""
    import torch

    model, flags = platform.processor() or None, None
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            model = value.strip()
        elif key.strip() == "flags" and flags is None:
            flags = set(value.split())
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):
        capability = None
    return {"model": model, "flags": {name: (None if flags is None else name in flags) for name in CPU_FLAGS},
            "torch_capability": capability}


def describe_cpu(cpu: dict[str, Any]) -> str:
    """``AMD EPYC (AVX2, FMA, AVX-512F...; torch kernels: AVX512)``: one line for reports and benchmarks."""
    present = [name.upper().replace("AVX512", "AVX-512").replace("_", "-") for name, has in cpu["flags"].items() if has]
    parts = ", ".join(present) if present else "instruction sets unknown"
    kernels = f"; torch kernels: {cpu['torch_capability']}" if cpu.get("torch_capability") else ""
    return f"{cpu.get('model') or 'unknown CPU'} ({parts}{kernels})"


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
