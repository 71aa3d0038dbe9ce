"""TensorDataset and DataLoader: batching, shuffling, drop_last, seeding, torch's lengths."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import shendu.scratch as st
from shendu.scratch import DataLoader, TensorDataset


def _data(n=10):
    return np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n)


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (5, False), (12, False), (12, True)])
def test_batches_match_torch_without_shuffle(batch_size, drop_last):
    x, y = _data()
    ours = list(DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last))
    theirs = list(tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                 batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs) == len(DataLoader(TensorDataset(x, y), batch_size, drop_last=drop_last))
    for (bx, by), (tx, ty) in zip(ours, theirs, strict=True):
        assert isinstance(bx, st.Tensor)
        np.testing.assert_array_equal(bx.numpy(), tx.numpy())
        np.testing.assert_array_equal(by.numpy(), ty.numpy())


def test_shuffle_is_a_permutation_each_epoch_and_seeded():
    x, y = _data(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=np.random.default_rng(5))
    epoch1 = np.concatenate([b[1].numpy() for b in loader])
    epoch2 = np.concatenate([b[1].numpy() for b in loader])
    assert sorted(epoch1) == list(range(20)) and sorted(epoch2) == list(range(20))
    assert not np.array_equal(epoch1, epoch2) and not np.array_equal(epoch1, np.arange(20))
    again = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=5)
    same = DataLoader(TensorDataset(x, y), batch_size=6, shuffle=True, generator=5)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in again]),
                                  np.concatenate([b[1].numpy() for b in same]))
    for bx, by in loader:  # rows stay paired with their labels
        np.testing.assert_array_equal(bx.numpy()[:, 0], by.numpy() * 2)


def test_plain_array_and_generic_dataset():
    x, _ = _data()
    batches = list(DataLoader(x, batch_size=4))
    assert [b.shape for b in batches] == [(4, 2), (4, 2), (2, 2)]

    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.float32(i), i * i

    (a, b), *_ = DataLoader(Squares(), batch_size=5)
    np.testing.assert_array_equal(b.numpy(), [0, 1, 4, 9, 16])


def test_errors_match_torch():
    with pytest.raises(AssertionError):
        tud.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError):
        tud.DataLoader(tud.TensorDataset(torch.zeros(3)), batch_size=0)
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)
