"""Text models against PyTorch references, and the same answer alone or in a padded batch."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from shendu.models.text import (
    LSTMClassifier,
    MultiHeadAttention,
    TransformerClassifier,
)


def _batch(lengths, vocab=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(len(lengths), max(lengths), dtype=torch.int64)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(1, vocab, (n,), generator=g)
    return ids


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_layers_equal_torch_lstm_on_packed_sequences(bidirectional):
    """Our per-layer LSTMs over right-padded reviews == nn.LSTM(num_layers=2) on packed sequences."""
    torch.manual_seed(0)
    model = LSTMClassifier(50, embedding_dim=8, hidden_size=6, num_layers=2, bidirectional=bidirectional,
                           dropout=0.0).double().eval()
    reference = nn.LSTM(8, 6, num_layers=2, batch_first=True, bidirectional=bidirectional).double()
    with torch.no_grad():
        for layer in range(2):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(reference, f"{name}_l{layer}").copy_(getattr(model.forward_layers[layer], f"{name}_l0"))
                if bidirectional:
                    getattr(reference, f"{name}_l{layer}_reverse").copy_(getattr(model.backward_layers[layer], f"{name}_l0"))
    ids = _batch([7, 3, 5, 1])
    lengths = (ids != 0).sum(1)
    embedded = model.embedding(ids)
    _, (hidden, _) = reference(pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False))
    expected = torch.cat([hidden[-2], hidden[-1]], 1) if bidirectional else hidden[-1]
    captured = {}
    model.fc.register_forward_hook(lambda m, args, out: captured.setdefault("features", args[0]))
    model(ids)
    assert torch.allclose(captured["features"], expected, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: LSTMClassifier(50, bidirectional=True),
    lambda: LSTMClassifier(50, bidirectional=True, attention=True),
    lambda: TransformerClassifier(50, d_model=32, num_heads=4, d_ff=64, max_length=64),
])
def test_a_review_scores_the_same_alone_and_in_a_padded_batch(make):
    torch.manual_seed(0)
    model = make().eval()
    ids = _batch([20, 4, 11, 1, 17], seed=1)
    with torch.no_grad():
        together = model(ids)
        for i in range(len(ids)):
            n = int((ids[i] != 0).sum())
            alone = model(ids[i : i + 1, :n])
            assert torch.allclose(alone, together[i : i + 1], atol=1e-5), (i, alone, together[i])
        logits, weights = model.forward_with_attention(ids)
    assert torch.equal(logits, together)  # the same forward, with its attention handed back
    if weights is not None:  # attention lands on real tokens only and sums to 1 per review
        assert torch.allclose(weights.sum(1), torch.ones(len(ids)), atol=1e-5)
        assert torch.all(weights[ids == 0] == 0)


def test_multi_head_attention_equals_torch_multihead_attention():
    torch.manual_seed(0)
    ours = MultiHeadAttention(16, 4).double().eval()
    reference = nn.MultiheadAttention(16, 4, batch_first=True).double().eval()
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([ours.W_q.weight, ours.W_k.weight, ours.W_v.weight]))
        reference.in_proj_bias.copy_(torch.cat([ours.W_q.bias, ours.W_k.bias, ours.W_v.bias]))
        reference.out_proj.weight.copy_(ours.W_o.weight)
        reference.out_proj.bias.copy_(ours.W_o.bias)
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    keep = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=torch.bool)
    expected, expected_weights = reference(x, x, x, key_padding_mask=~keep, need_weights=True, average_attn_weights=False)
    got, weights = ours.attend(x, x, x, mask=keep[:, None, None, :])
    assert torch.allclose(got, expected, atol=1e-12)
    assert torch.allclose(weights, expected_weights, atol=1e-12)
    assert torch.equal(ours(x, x, x, mask=keep[:, None, None, :]), got)
    # without a mask: plain self-attention
    assert torch.allclose(ours(x, x, x), reference(x, x, x, need_weights=False)[0], atol=1e-12)


def test_transformer_refuses_reviews_longer_than_its_positions():
    model = TransformerClassifier(50, d_model=16, num_heads=2, d_ff=32, max_length=8)
    with pytest.raises(ValueError, match="longer than max_length 8"):
        model(_batch([9]))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
