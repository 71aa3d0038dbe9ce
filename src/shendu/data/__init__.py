"""Datasets: shipped samples, user files, deterministic splits, checksums, transforms."""

from shendu.data.base import ArrayImageDataset, DataBundle, ImageSpec
from shendu.data.splits import Split, array_checksum, stratified_split

__all__ = [
    "ArrayImageDataset",
    "DataBundle",
    "ImageSpec",
    "Split",
    "array_checksum",
    "stratified_split",
]
