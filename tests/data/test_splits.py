import numpy as np
import pytest

from shendu.data.splits import array_checksum, stratified_split


def test_split_is_disjoint_complete_stratified_and_repeatable():
    labels = np.repeat(np.arange(10), 50)
    a = stratified_split(labels, test_size=100, val_size=50, seed=0)
    b = stratified_split(labels, test_size=100, val_size=50, seed=0)
    assert (len(a.train), len(a.val), len(a.test)) == (350, 50, 100)
    assert np.array_equal(a.test, b.test) and np.array_equal(a.train, b.train)
    everything = np.concatenate([a.train, a.val, a.test])
    assert sorted(everything.tolist()) == list(range(500))
    assert np.bincount(labels[a.test]).tolist() == [10] * 10
    c = stratified_split(labels, test_size=100, val_size=50, seed=1)
    assert not np.array_equal(a.test, c.test)


def test_split_rejects_sizes_that_leave_nothing_to_train():
    with pytest.raises(ValueError, match="must be < 20"):
        stratified_split(np.zeros(20), test_size=10, val_size=10)


def test_checksum_changes_with_content_dtype_and_shape():
    x = np.arange(12, dtype=np.uint8)
    base = array_checksum(x)
    assert base == array_checksum(x.copy())
    assert base != array_checksum(x.reshape(3, 4))
    assert base != array_checksum(x.astype(np.int16))
    y = x.copy()
    y[0] = 1
    assert base != array_checksum(y)
