"""PaddedLSTM against torch's nn.LSTM on packed sequences, and the weight keys of its users."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from shendu.models import text
from shendu.models.recurrent import PaddedLSTM, reverse_padded
from shendu.models.speech import SpeechRecognizer
from shendu.models.text import LSTMClassifier


def _copy_into_torch(ours: PaddedLSTM, reference: nn.LSTM) -> None:
    with torch.no_grad():
        for layer, forward_layer in enumerate(ours.forward_layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(reference, f"{name}_l{layer}").copy_(getattr(forward_layer, f"{name}_l0"))
                if ours.backward_layers is not None:
                    getattr(reference, f"{name}_l{layer}_reverse").copy_(
                        getattr(ours.backward_layers[layer], f"{name}_l0"))


def _padded_batch(seed: int, features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of 1-6 sequences of 1-9 steps, right-padded with noise (not zeros)."""
    g = torch.Generator().manual_seed(seed)
    batch, steps = int(torch.randint(1, 7, (1,), generator=g)), int(torch.randint(1, 10, (1,), generator=g))
    lengths = torch.randint(1, steps + 1, (batch,), generator=g)
    return torch.randn(batch, steps, features, generator=g, dtype=torch.float64), lengths


def test_reverse_padded_reverses_only_the_real_steps():
    ids = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    lengths = torch.tensor([3, 2])
    assert reverse_padded(ids, lengths).tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]
    assert torch.equal(reverse_padded(reverse_padded(ids, lengths), lengths), ids)
    x = torch.arange(12.0).view(2, 3, 2)  # (B, T, F): whole feature vectors move
    assert reverse_padded(x, torch.tensor([2, 3])).tolist() == [[[2, 3], [0, 1], [4, 5]],
                                                                [[10, 11], [8, 9], [6, 7]]]
    assert text.reverse_padded is reverse_padded  # still importable from its old home


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_lstm_equals_torch_lstm_on_packed_sequences(bidirectional, num_layers, seed):
    torch.manual_seed(seed)
    ours = PaddedLSTM(4, 5, num_layers, bidirectional).double().eval()
    reference = nn.LSTM(4, 5, num_layers=num_layers, batch_first=True, bidirectional=bidirectional).double()
    _copy_into_torch(ours, reference)
    x, lengths = _padded_batch(seed, features=4)
    packed, (h_n, _) = reference(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    expected, _ = pad_packed_sequence(packed, batch_first=True)  # (B, max(lengths), D*H), zeros after each length
    outputs, final = ours(x, lengths)
    assert outputs.shape == (len(x), x.shape[1], 5 * (2 if bidirectional else 1))
    real = torch.arange(x.shape[1])[None, :] < lengths[:, None]  # (B, T)
    got = outputs[:, : expected.shape[1]] * real[:, : expected.shape[1], None]
    assert torch.allclose(got, expected, atol=1e-12, rtol=0)
    expected_final = torch.cat([h_n[-2], h_n[-1]], 1) if bidirectional else h_n[-1]
    assert torch.allclose(final, expected_final, atol=1e-12, rtol=0)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_lstm_matches_torch_in_float32_too(bidirectional):
    torch.manual_seed(0)
    ours = PaddedLSTM(6, 8, 2, bidirectional).eval()
    reference = nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=bidirectional)
    _copy_into_torch(ours, reference)
    x, lengths = torch.randn(5, 11, 6), torch.tensor([11, 1, 7, 4, 9])
    packed, (h_n, _) = reference(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    expected, _ = pad_packed_sequence(packed, batch_first=True)
    with torch.no_grad():
        outputs, final = ours(x, lengths)
    real = torch.arange(11)[None, :] < lengths[:, None]
    assert torch.allclose(outputs * real[..., None], expected, atol=1e-5)
    assert torch.allclose(final, torch.cat([h_n[-2], h_n[-1]], 1) if bidirectional else h_n[-1], atol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_sequence_gives_the_same_output_alone_and_in_a_padded_batch(bidirectional):
    torch.manual_seed(0)
    ours = PaddedLSTM(3, 4, 2, bidirectional, dropout=0.5).double().eval()  # eval: dropout off
    x, lengths = torch.randn(4, 8, 3, dtype=torch.float64), torch.tensor([8, 2, 5, 1])
    outputs, final = ours(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone, alone_final = ours(x[b : b + 1, :n], lengths[b : b + 1])
        assert torch.allclose(alone, outputs[b : b + 1, :n], atol=1e-12, rtol=0)
        assert torch.allclose(alone_final, final[b : b + 1], atol=1e-12, rtol=0)


def test_dropout_acts_between_layers_in_training_only():
    torch.manual_seed(0)
    ours = PaddedLSTM(3, 4, 2, bidirectional=True, dropout=0.5)
    x, lengths = torch.randn(2, 5, 3), torch.tensor([5, 3])
    with torch.no_grad():
        ours.eval()
        assert torch.equal(ours(x, lengths)[0], ours(x, lengths)[0])
        ours.train()
        assert not torch.equal(ours(x, lengths)[0], ours(x, lengths)[0])
        single = PaddedLSTM(3, 4, 1, dropout=0.5).train()  # one layer: nothing between layers
        assert torch.equal(single(x, lengths)[0], single(x, lengths)[0])


# The state-dict keys of the models before PaddedLSTM existed: trained run folders store their weights by them.
EXPECTED_KEYS = {
    "lstm": ["embedding.weight", "fc.0.bias", "fc.0.weight", "fc.3.bias", "fc.3.weight",
             "forward_layers.0.bias_hh_l0", "forward_layers.0.bias_ih_l0", "forward_layers.0.weight_hh_l0",
             "forward_layers.0.weight_ih_l0", "forward_layers.1.bias_hh_l0", "forward_layers.1.bias_ih_l0",
             "forward_layers.1.weight_hh_l0", "forward_layers.1.weight_ih_l0"],
    "bilstm-attention": ["attention.proj.bias", "attention.proj.weight", "attention.score.weight",
                         "backward_layers.0.bias_hh_l0", "backward_layers.0.bias_ih_l0",
                         "backward_layers.0.weight_hh_l0", "backward_layers.0.weight_ih_l0",
                         "backward_layers.1.bias_hh_l0", "backward_layers.1.bias_ih_l0",
                         "backward_layers.1.weight_hh_l0", "backward_layers.1.weight_ih_l0", "embedding.weight",
                         "fc.0.bias", "fc.0.weight", "fc.3.bias", "fc.3.weight", "forward_layers.0.bias_hh_l0",
                         "forward_layers.0.bias_ih_l0", "forward_layers.0.weight_hh_l0",
                         "forward_layers.0.weight_ih_l0", "forward_layers.1.bias_hh_l0",
                         "forward_layers.1.bias_ih_l0", "forward_layers.1.weight_hh_l0",
                         "forward_layers.1.weight_ih_l0"],
    "speech": ["acoustic.0.bias", "acoustic.0.weight", "acoustic.3.bias", "acoustic.3.weight",
               "backward_layers.0.bias_hh_l0", "backward_layers.0.bias_ih_l0", "backward_layers.0.weight_hh_l0",
               "backward_layers.0.weight_ih_l0", "backward_layers.1.bias_hh_l0", "backward_layers.1.bias_ih_l0",
               "backward_layers.1.weight_hh_l0", "backward_layers.1.weight_ih_l0", "fc.bias", "fc.weight",
               "forward_layers.0.bias_hh_l0", "forward_layers.0.bias_ih_l0", "forward_layers.0.weight_hh_l0",
               "forward_layers.0.weight_ih_l0", "forward_layers.1.bias_hh_l0", "forward_layers.1.bias_ih_l0",
               "forward_layers.1.weight_hh_l0", "forward_layers.1.weight_ih_l0"],
}
MODELS = {
    "lstm": lambda: LSTMClassifier(100),
    "bilstm-attention": lambda: LSTMClassifier(100, bidirectional=True, attention=True),
    "speech": lambda: SpeechRecognizer(),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_models_keep_the_state_dict_keys_of_trained_run_folders(name):
    model = MODELS[name]()
    assert sorted(model.state_dict()) == EXPECTED_KEYS[name]
    assert [n for n, _ in model.named_parameters()] == list(model.state_dict())  # no alias, no duplicate
    other = MODELS[name]()
    other.load_state_dict(model.state_dict(), strict=True)
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), model.state_dict().values(), strict=True))


@pytest.mark.parametrize("name", list(MODELS))
def test_the_lstm_a_model_runs_is_the_one_its_state_dict_holds(name):
    """Loading weights (or moving the model) reaches the LSTM that forward runs."""
    model = MODELS[name]().eval()
    assert model.lstm.forward_layers is model.forward_layers and model.lstm.backward_layers is model.backward_layers
    assert model.lstm.dropout is model.dropout
    with torch.no_grad():
        for parameter in model.forward_layers.parameters():
            parameter.zero_()
    inputs = torch.randint(1, 100, (2, 6)) if name != "speech" else torch.randn(2, 6, 80)
    zeroed = model(inputs)
    model.load_state_dict(MODELS[name]().state_dict())
    assert not torch.equal(model(inputs), zeroed)
