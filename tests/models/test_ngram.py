"""reviews-zh's n-gram models against independent references: the hash against a plain-Python
loop, the bags against nn.EmbeddingBag, the TextCNN against nn.Conv1d over each review alone, and
the ensemble's logits against its members'."""

import pytest
import torch
from torch import nn

from shendu.models.ngram import (
    FastText,
    NgramBag,
    NgramCNNClassifier,
    NgramLogistic,
    TextCNN,
    hashed_ngrams,
)


def _batch(lengths, vocab=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(len(lengths), max(lengths), dtype=torch.int64)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(1, vocab, (n,), generator=g)
    return ids


def _reference_ngrams(tokens, max_n, vocab_size, buckets):
    """The documented hash, one n-gram at a time in Python integers (no tensors, no overflow)."""
    out = list(tokens)
    for n in range(2, max_n + 1):
        for start in range(len(tokens) - n + 1):
            code = 0
            for token in tokens[start : start + n]:
                code = (code * 1_000_003 + token) % 2_147_483_647
            out.append(vocab_size + (code * 999_983 + n) % buckets)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_hashed_ngrams_match_the_documented_hash_and_ignore_padding(seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 12, (5,), generator=g).tolist()
    vocab, buckets, max_n = int(torch.randint(30, 2**20, (1,), generator=g)), 97 + seed * 1000, 1 + seed % 3
    ids = _batch(lengths, vocab, seed)
    features = hashed_ngrams(ids, max_n, vocab, buckets)
    for i, n in enumerate(lengths):
        real = sorted(f for f in features[i].tolist() if f != 0)
        assert real == sorted(_reference_ngrams(ids[i, :n].tolist(), max_n, vocab, buckets))
        assert len(real) == sum(max(n - k + 1, 0) for k in range(1, max_n + 1))  # nothing from the padding


@pytest.mark.parametrize("count_power", [1.0, 0.5])
def test_ngram_bag_is_an_embedding_bag_over_the_hashed_features(count_power):
    torch.manual_seed(0)
    bag = NgramBag(40, 64, 3, 6, count_power=count_power)
    ids = _batch([9, 3, 1, 6], vocab=40)
    reference = nn.EmbeddingBag(40 + 64, 6, mode="sum")
    reference.weight.data.copy_(bag.embedding.weight)
    expected = []
    for i in range(len(ids)):
        features = torch.tensor(_reference_ngrams(ids[i][ids[i] != 0].tolist(), 3, 40, 64))
        expected.append(reference(features[None])[0] / len(features) ** count_power)
    assert torch.allclose(bag(ids), torch.stack(expected), atol=1e-6)


def test_text_cnn_equals_conv1d_over_each_review_alone():
    torch.manual_seed(0)
    model = TextCNN(50, 2, embedding_dim=8, filters=5, kernel_sizes=(1, 2, 3, 4), dropout=0.0).double().eval()
    ids = _batch([10, 2, 5, 1], seed=2)
    captured = {}
    model.fc.register_forward_hook(lambda m, args, out: captured.setdefault("features", args[0]))
    model(ids)
    for i in range(len(ids)):
        tokens = ids[i][ids[i] != 0]
        expected = []
        for width, conv in zip((1, 2, 3, 4), model.convs, strict=True):
            # the review alone; one window of zero vectors past its end if it is shorter than the kernel
            x = model.embedding(nn.functional.pad(tokens, (0, max(0, width - len(tokens)))))[None].transpose(1, 2)
            reference = nn.Conv1d(8, 5, width).double()
            reference.load_state_dict(conv.state_dict())
            expected.append(torch.relu(reference(x)).amax(dim=2)[0])
        assert torch.allclose(captured["features"][i], torch.cat(expected), atol=1e-12)


def test_logistic_member_is_linear_in_the_counts_and_starts_at_zero():
    model = NgramLogistic(30, 3, buckets=16, max_n=2, scale=4.0)
    ids = _batch([5, 2], vocab=30)
    assert torch.equal(model(ids), torch.zeros(2, 3))  # zero weights and bias: the uniform guess
    with torch.no_grad():
        model.bag.embedding.weight.normal_()
        model.bag.embedding.weight[0].zero_()
    features = _reference_ngrams(ids[0, :5].tolist(), 2, 30, 16)
    expected = 4.0 * model.bag.embedding.weight[features].sum(0) / len(features) ** 0.5
    assert torch.allclose(model(ids)[0], expected, atol=1e-6)


def _small(**kwargs):
    return NgramCNNClassifier(50, 2, buckets=128, embedding_dim=8, hidden=8, cnn_embedding_dim=8, filters=4, **kwargs)


def test_ensemble_logits_are_the_mean_of_its_members_log_probabilities():
    torch.manual_seed(0)
    model = _small().eval()
    with torch.no_grad():
        model.logistic.bag.embedding.weight.normal_()
    ids = _batch([7, 3, 1], seed=3)
    members = [model.logistic(ids), model.fasttext(ids), model.cnn(ids)]
    expected = sum(torch.log_softmax(m, dim=1) for m in members) / 3
    assert torch.allclose(model(ids), expected, atol=1e-6)
    # its cross-entropy is the members' mean minus a term >= 0 that is zero when they agree
    targets = torch.tensor([0, 1, 1])
    mean_member = sum(nn.functional.cross_entropy(m, targets) for m in members) / 3
    assert nn.functional.cross_entropy(model(ids), targets) <= mean_member + 1e-6


def test_a_review_scores_the_same_alone_and_in_a_padded_batch():
    torch.manual_seed(0)
    model = _small().eval()
    ids = _batch([20, 4, 11, 1, 2, 17], seed=1)
    with torch.no_grad():
        together = model(ids)
        for i in range(len(ids)):
            n = int((ids[i] != 0).sum())
            assert torch.allclose(model(ids[i : i + 1, :n]), together[i : i + 1], atol=1e-6)


def test_forward_and_backward_reach_every_member():
    torch.manual_seed(0)
    model = _small()
    ids = _batch([6, 3, 1, 9], seed=4)
    loss = nn.functional.cross_entropy(model(ids), torch.tensor([0, 1, 0, 1]))
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
    assert model.logistic.bag.embedding.weight.grad.abs().sum() > 0  # zero-initialised, yet it learns
    assert model.cnn.convs[3].weight.grad.abs().sum() > 0
    assert FastText(50, 2, 128, 3).bag.embedding.weight[0].abs().sum() == 0  # padding row


def test_text_cnn_refuses_no_kernels():
    with pytest.raises(ValueError, match="kernel_sizes"):
        TextCNN(10, 2, kernel_sizes=())


def test_member_dropout_averages_a_nonempty_subset_in_training_and_all_in_evaluation():
    import itertools

    torch.manual_seed(0)
    model = _small(dropout=0.0, member_dropout=0.5)
    with torch.no_grad():
        model.logistic.bag.embedding.weight.normal_()
    ids = _batch([7, 3, 1, 5, 9, 2, 4, 6], seed=5)
    members = torch.log_softmax(model.member_logits(ids), dim=-1).detach()  # (B, 3, C)
    subsets = [s for r in (1, 2, 3) for s in itertools.combinations(range(3), r)]
    used = set()
    for _ in range(5):
        out = model.train()(ids).detach()
        for i in range(len(ids)):
            matches = [s for s in subsets if torch.allclose(out[i], members[i, list(s)].mean(0), atol=1e-6)]
            assert matches, i
            used.add(len(matches[0]))
    assert used == {1, 2, 3}  # single members, pairs and all three all occur
    assert torch.allclose(model.eval()(ids), members.mean(1), atol=1e-6)
    with pytest.raises(ValueError, match="member_dropout"):
        _small(member_dropout=1.0)
