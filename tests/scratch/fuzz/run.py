"""Drive the fuzz: draw cases spread evenly over the ops, check each, and report.

    from tests.scratch.fuzz.run import fuzz, replay
    print(fuzz(2000).summary())              # every op, round-robin
    op, case, rng = replay("F.conv2d", 17)   # re-draw one reported case to debug it
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from .core import case_rng
from .harness import check
from .registry import OPS, divergence


@dataclass
class Report:
    cases: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    mismatches: list = field(default_factory=list)
    seconds: float = 0.0

    def summary(self, per_op: bool = True) -> str:
        lines = [f"{sum(self.cases.values())} cases over {len(self.cases)} ops in {self.seconds:.1f} s: "
                 f"{len(self.mismatches)} mismatches, {sum(self.skipped.values())} documented divergences skipped"]
        if per_op:
            lines += [" ".join(f"{name}={count}" for name, count in sorted(self.cases.items()))]
        lines += [f"skipped {count}: {reason}" for reason, count in self.skipped.items()]
        lines += [f"MISMATCH {m}" for m in self.mismatches[:30]]
        return "\n".join(lines)


def replay(name: str, index: int, seed: int = 0):
    """Re-draw case `index` of op `name`: (op, case, rng), rng positioned for the gradient weights."""
    op = OPS[name]
    rng = case_rng(seed, name, index)
    return op, op.draw(rng), rng


def fuzz(cases: int, seed: int = 0, names=None) -> Report:
    """`cases` cases in total, op after op round-robin, so each op gets cases // len(ops) or one more."""
    names = sorted(names or OPS)
    report = Report()
    start = time.perf_counter()
    for i in range(cases):
        name, index = names[i % len(names)], i // len(names)
        op, case, rng = replay(name, index, seed)
        reason = divergence(name, case)
        if reason:
            report.skipped[reason] += 1
            continue
        try:
            problem = check(op, case, rng)
        except Exception as error:  # noqa: BLE001  (a harness failure is reported, not fatal)
            problem = f"the comparison itself failed: {type(error).__name__}: {error}"
        report.cases[name] += 1
        if problem:
            report.mismatches.append(f"{name} case {index} (seed {seed}): {case}\n{problem}")
    report.seconds = time.perf_counter() - start
    return report
