"""shendu.scratch against torch on generated calls of every public op: values, dtypes, shapes,
gradients and exception types (the harness: harness.py; the ops: registry.py).

    pytest tests/scratch/fuzz                          # the quick run of `make test`
    pytest tests/scratch/fuzz -m slow -s               # 20,000 cases, per-op counts printed
    SHENDU_FUZZ_CASES=200000 SHENDU_FUZZ_SEED=3 pytest tests/scratch/fuzz -m slow -s

A mismatch names the op, the case index and the seed; `run.replay(name, index, seed)` draws
that case again.
"""

from __future__ import annotations

import os

import pytest

from shendu import scratch as st

from .registry import DIVERGENCES, NOT_OPS, OPS, PENDING, RANDOM, expected_keys
from .run import fuzz

FAST_CASES = 500  # every op at least once (there are ~330), a few twice
SLOW_CASES = int(os.environ.get("SHENDU_FUZZ_CASES", "20000"))
SEED = int(os.environ.get("SHENDU_FUZZ_SEED", "0"))


def test_every_public_op_has_a_fuzz_entry():
    """shendu.scratch's callables, nn.functional's names and the Tensor's methods and operators
    are all fuzzed, except the documented NOT_OPS."""
    missing = sorted(expected_keys() - set(OPS))
    assert not missing, f"public ops without a fuzz entry (add one to an ops_*.py, or to NOT_OPS with the reason): {missing}"


def test_allow_lists_name_real_ops_and_give_reasons():
    public = {name for name in st.__all__} | {f"Tensor.{n}" for n in dir(st.Tensor)}
    assert all(name in public and reason for name, reason in NOT_OPS.items()), "a stale NOT_OPS entry"
    assert all(name in OPS and reason for name, reason in RANDOM.items()), "a stale RANDOM entry"
    for divergence in DIVERGENCES + PENDING:
        assert divergence.reason and all(name in OPS for name in divergence.ops), divergence.ops


def test_fuzz_quick():
    report = fuzz(FAST_CASES, SEED)
    assert not report.mismatches, report.summary(per_op=False)


@pytest.mark.slow
def test_fuzz_long(capsys):
    report = fuzz(SLOW_CASES, SEED)
    with capsys.disabled():
        print("\n" + report.summary())
    assert sum(report.cases.values()) >= min(SLOW_CASES, 5000) * 0.95
    starved = sorted(name for name in OPS if report.cases[name] < SLOW_CASES // len(OPS) // 2)
    assert not starved, f"ops whose cases are mostly skipped as documented divergences: {starved}"
    assert not report.mismatches, report.summary(per_op=False)
