"""Datasets: shipped samples, user files, deterministic splits, checksums, transforms.

The names below are imported on first use, so that `shendu.data.specs` stays free of torch.
"""

from shendu.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "ArrayImageDataset": "shendu.data.base",
    "DataBundle": "shendu.data.base",
    "ImageSpec": "shendu.data.specs",
    "Split": "shendu.data.splits",
    "array_checksum": "shendu.data.splits",
    "stratified_split": "shendu.data.splits",
})
