"""The XOR truth table: the four points no straight line separates."""

from __future__ import annotations

import numpy as np

from shendu.data.base import ArrayDataset, DataBundle, TestSource
from shendu.data.specs import VectorSpec
from shendu.data.splits import array_checksum

XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_TARGETS = np.array([0, 1, 1, 0], dtype=np.int64)


def xor_bundle() -> DataBundle:
    """XOR has exactly four inputs, so train, val and test are the same four points: the
    question is whether a network can represent the function at all, not generalisation."""
    dataset = ArrayDataset(XOR_INPUTS, XOR_TARGETS)
    return DataBundle(
        train=dataset, val=dataset, test=dataset,
        labels=["0", "1"],
        source="the XOR truth table: (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0",
        checksum=array_checksum(XOR_INPUTS, XOR_TARGETS),
        input_spec=VectorSpec(features=2),
        test_source=TestSource("shendu.data.xor:xor_bundle"),
    )
