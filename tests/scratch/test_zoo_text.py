"""The text twins (shendu.scratch.zoo_text) match the torch models of shendu.models.text: keys,
logits and every parameter's gradient on random right-padded batches, and padding changes nothing."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import shendu.scratch as st
from shendu.models import text as torch_text
from shendu.scratch import zoo, zoo_text

from .helpers import assert_close, load_scratch_into_torch, load_torch_into_scratch

VOCAB = 40
FLOAT32 = dict(atol=1e-5, rtol=1e-4)
FLOAT64 = dict(atol=1e-10, rtol=1e-8)
# every combination of the LSTM classifier's structural options, and two Transformers
LSTM_CASES = [dict(bidirectional=b, attention=a, num_layers=n)
              for b, a, n in itertools.product([False, True], [False, True], [1, 2])]
TRANSFORMER_CASES = [dict(num_layers=1, num_heads=1), dict(num_layers=2, num_heads=2)]
CASES = ([("lstm_classifier", dict(vocab_size=VOCAB, embedding_dim=6, hidden_size=5, dense=4, **c)) for c in LSTM_CASES]
         + [("transformer_classifier", dict(vocab_size=VOCAB, d_model=8, d_ff=12, max_length=16, **c))
            for c in TRANSFORMER_CASES])
IDS = [f"{name.split('_')[0]}-" + "-".join(f"{k}={v}" for k, v in kwargs.items() if k in ("bidirectional", "attention",
       "num_layers", "num_heads")) for name, kwargs in CASES]


def padded_batch(rng: np.random.Generator, batch: int = 6, steps: int = 9) -> np.ndarray:
    """Right-padded ids (0 = padding) of random lengths, one of length 1 and one of full length."""
    lengths = rng.integers(1, steps + 1, batch)
    lengths[0], lengths[-1] = 1, steps
    ids = np.zeros((batch, steps), np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, VOCAB, length)
    return ids


def twins(name: str, kwargs: dict, seed: int = 0):
    """The torch model built from ``seed`` and its scratch twin holding the same weights (eval mode)."""
    torch.manual_seed(seed)
    theirs = getattr(torch_text, name)(**kwargs).eval()
    ours = getattr(zoo, name)(**kwargs).eval()
    load_torch_into_scratch(theirs, ours)
    return theirs, ours


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_twins_have_the_same_keys_shapes_and_modules(name, kwargs):
    theirs, ours = getattr(torch_text, name)(**kwargs), getattr(zoo, name)(**kwargs)
    t_state, s_state = theirs.state_dict(), ours.state_dict()
    assert list(s_state) == list(t_state)
    assert {k: v.shape for k, v in s_state.items()} == {k: tuple(v.shape) for k, v in t_state.items()}
    assert all(v.dtype == np.float32 for v in s_state.values())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert not s_state["embedding.weight"][0].any()  # the padding row starts at zero, as in torch


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_logits_and_attention_match_torch_in_float32(name, kwargs):
    theirs, ours = twins(name, kwargs)
    rng = np.random.default_rng(CASES.index((name, kwargs)))
    for _ in range(2):
        ids = padded_batch(rng)
        with torch.no_grad():
            expected, expected_weights = theirs.forward_with_attention(torch.from_numpy(ids))
        with st.no_grad():
            got, weights = ours.forward_with_attention(st.tensor(ids))
        assert got.dtype == np.float32
        assert_close(got, expected, what=f"{name} logits", **FLOAT32)
        assert (weights is None) == (expected_weights is None)
        if weights is not None:
            assert_close(weights, expected_weights, what=f"{name} attention weights", **FLOAT32)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_every_gradient_matches_torch_in_float64(name, kwargs):
    """The gradient of every parameter after the same cross-entropy, on two batches in a row.

    float64, because a ReLU input within float32 rounding of zero (1 in ~10^7, and these
    batches meet one) legitimately gets a different gate in each engine.
    """
    theirs, ours = twins(name, kwargs)
    theirs.double(), ours.to(np.float64)
    if name == "transformer_classifier":  # the non-persistent table (compared on its own below), to the last bit
        ours.positions.data = theirs.positions.numpy().copy()
    rng = np.random.default_rng(CASES.index((name, kwargs)))
    for _ in range(2):  # the second batch checks that nothing of the first stays behind
        ids, targets = padded_batch(rng), rng.integers(0, 2, 6)
        theirs.zero_grad(), ours.zero_grad()
        expected, got = theirs(torch.from_numpy(ids)), ours(st.tensor(ids))
        assert_close(got, expected, what=f"{name} logits", **FLOAT64)
        torch_F.cross_entropy(expected, torch.from_numpy(targets)).backward()
        st.functional.cross_entropy(got, targets).backward()
        ours_params = dict(ours.named_parameters())
        for key, param in theirs.named_parameters():
            assert ours_params[key].grad is not None, key
            assert_close(ours_params[key].grad, param.grad, what=f"grad of {key}", **FLOAT64)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_a_review_gives_the_same_logits_alone_or_in_a_padded_batch(name, kwargs):
    theirs, ours = twins(name, kwargs, seed=1)
    ids = padded_batch(np.random.default_rng(3), batch=5, steps=12)
    with st.no_grad():
        batch = ours(st.tensor(ids)).numpy()
        for i, row in enumerate(ids):
            alone = ours(st.tensor(row[None, : (row != 0).sum()])).numpy()  # (1, length): no padding at all
            np.testing.assert_allclose(alone[0], batch[i], err_msg=f"review {i}", **FLOAT32)
    with torch.no_grad():
        assert_close(batch, theirs(torch.from_numpy(ids)), what=f"{name} logits", **FLOAT32)


@pytest.mark.parametrize("name,kwargs", [CASES[-1], CASES[7]], ids=[IDS[-1], IDS[7]])
def test_scratch_weights_load_into_torch_strictly_and_agree(name, kwargs):
    theirs, ours = getattr(torch_text, name)(**kwargs).eval(), getattr(zoo, name)(**kwargs).eval()
    load_scratch_into_torch(ours, theirs)  # strict: every key present, none extra
    ids = padded_batch(np.random.default_rng(4))
    with torch.no_grad():
        expected = theirs(torch.from_numpy(ids))
    assert_close(ours(st.tensor(ids)), expected, what=f"{name} logits", **FLOAT32)


def test_reverse_padded_matches_torch_and_is_its_own_inverse():
    from shendu.models.recurrent import reverse_padded

    rng = np.random.default_rng(5)
    x, lengths = rng.standard_normal((4, 7, 3)).astype(np.float32), np.array([1, 7, 3, 5])
    got = zoo_text.reverse_padded(st.tensor(x), lengths)
    np.testing.assert_array_equal(got.numpy(), reverse_padded(torch.from_numpy(x), torch.from_numpy(lengths)).numpy())
    np.testing.assert_array_equal(zoo_text.reverse_padded(got, lengths).numpy(), x)


def test_positions_match_torch():
    np.testing.assert_allclose(zoo_text.sinusoidal_positions(64, 8), torch_text.sinusoidal_positions(64, 8).numpy(),
                               atol=1e-6)


def test_errors_are_torchs():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        zoo.transformer_classifier(vocab_size=VOCAB, d_model=8, num_heads=3)
    model = zoo.transformer_classifier(vocab_size=VOCAB, d_model=8, d_ff=12, max_length=4)
    with pytest.raises(ValueError, match="longer than max_length 4"):
        model(st.tensor(np.ones((1, 5), np.int64)))
