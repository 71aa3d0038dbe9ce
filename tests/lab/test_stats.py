"""Seeds, mean and spread: the lab's summaries against NumPy's statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shendu.lab.stats import aggregate, clean, count_text, fmt, pct, seed_list, summarize


def test_seed_list_counts_up_from_the_first():
    assert seed_list(0, 3) == [0, 1, 2] and seed_list(7, 1) == [7]


@pytest.mark.parametrize("n", [2, 3, 7])
def test_summary_is_numpys_mean_and_sample_std(n):
    values = np.random.default_rng(n).normal(size=n).tolist()
    leaf = summarize(values)
    assert leaf["mean"] == pytest.approx(np.mean(values), abs=1e-15)
    assert leaf["std"] == pytest.approx(np.std(values, ddof=1), abs=1e-15)
    assert (leaf["min"], leaf["max"], leaf["n"], leaf["values"]) == (min(values), max(values), n, values)


def test_one_seed_has_no_spread_and_missing_values_are_counted_out():
    assert summarize([0.5])["std"] == 0.0
    leaf = summarize([3, None, 5, math.nan])
    assert (leaf["mean"], leaf["n"], leaf["values"]) == (4.0, 2, [3, None, 5, None])
    assert count_text(leaf) == "2 of 4 seeds"
    assert summarize([None, None])["mean"] is None and fmt(summarize([None])) == "—"


def test_aggregate_merges_trees_key_by_key():
    per_seed = [{"acc": 0.9, "curve": [1.0, 0.5], "name": "adam", "path_trace": [1, 2], "deep": {"x": 1}},
                {"acc": 0.8, "curve": [3.0, 0.7, 0.1], "name": "adam", "path_trace": [5, 6], "deep": {"x": 3}}]
    out = aggregate(per_seed)
    assert out["acc"]["mean"] == pytest.approx(0.85) and out["deep"]["x"]["mean"] == 2
    assert out["curve"]["mean"] == pytest.approx([2.0, 0.6, 0.1]) and out["curve"]["n"] == 2
    assert out["curve"]["std"][2] == 0.0 and out["curve"]["values"][1] == [3.0, 0.7, 0.1]
    assert out["name"] == "adam" and out["path_trace"] == [1, 2]


def test_clean_makes_json_of_numpy_and_nan():
    assert clean({"a": np.float32(0.5), "b": np.arange(2), "c": [np.nan, np.inf], 1: np.int64(3)}) == \
        {"a": 0.5, "b": [0, 1], "c": [None, None], "1": 3}


def test_formatting_shows_the_spread_only_with_several_seeds():
    assert fmt(summarize([1.0, 3.0])) == "2 ± 1.4"
    assert fmt(summarize([2.0])) == "2"
    assert pct(summarize([0.9, 0.92])) == "91.0% ± 1.4"
