"""Classical baselines on the text recipes' own splits: TF-IDF + logistic regression.

    python benchmarks/text_baselines.py

For IMDB (the split every imdb-* recipe tests on) and the Chinese reviews (reviews-zh's split),
fits scikit-learn's TfidfVectorizer (word 1-2-grams for English, character 1-3-grams for
Chinese) and LogisticRegression on the training reviews, picks C on the validation reviews, and
prints the test accuracy: the bar a neural recipe should clear on the same de-duplicated split.
"""

from __future__ import annotations

import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from shendu.recipes.imdb_lstm import ImdbLstmConfig
from shendu.recipes.reviews_zh import ReviewsZhConfig
from shendu.recipes.text import load_splits


def baseline(name: str, splits, vectorizer: TfidfVectorizer) -> tuple[str, int, float, float, float]:
    started = time.perf_counter()
    train = vectorizer.fit_transform(splits.train[0])
    val, test = vectorizer.transform(splits.val[0]), vectorizer.transform(splits.test[0])
    best = max((LogisticRegression(C=c, max_iter=3000).fit(train, splits.train[1]) for c in (0.5, 2, 8, 32)),
               key=lambda m: m.score(val, splits.val[1]))
    return name, len(splits.test[0]), best.C, best.score(test, splits.test[1]), time.perf_counter() - started


def main() -> None:
    rows = [
        baseline("IMDB (imdb-lstm, imdb-transformer, imdb-minilm split)", load_splits(ImdbLstmConfig(), "imdb"),
                 TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200_000, sublinear_tf=True)),
        baseline("Chinese reviews (reviews-zh split)", load_splits(ReviewsZhConfig(), "zh"),
                 TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)),
    ]
    print("| data | test reviews | TF-IDF + logistic regression test accuracy | C (chosen on val) | seconds |")
    print("|---|---|---|---|---|")
    for name, n, c, accuracy, seconds in rows:
        print(f"| {name} | {n:,} | {accuracy * 100:.2f}% | {c:g} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
