"""Which production line a failure most likely comes from, by what the tests executed: a line
that failing tests run and passing tests do not is suspect (spectrum-based fault
localisation, the Ochiai score). Failures whose most suspect line is the same share one root
cause, so one production bug failing fifty assertions is one group, not fifty.

Pure: it reads only the verdicts and per-test line sets (from coverage's per-test contexts).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable, Collection, Mapping

from tasks.layout import Layout
from tasks.triage.facts import Category, Verdict

Lines = Mapping[str, Mapping[str, set[int]]]  # nodeid -> {file: lines it executed}


def suspect_lines(
    failing: Collection[str], lines: Lines, is_production: Callable[[str], bool]
) -> dict[str, tuple[str, int]]:
    """nodeid of each failing test -> its most suspect production line (file, line), for the
    failing tests that executed production code at all."""
    total = sum(1 for nodeid in failing if nodeid in lines)
    if not total:
        return {}
    is_production = functools.cache(is_production)  # a few files, run by many tests
    failed: Counter[tuple[str, int]] = Counter()
    passed: Counter[tuple[str, int]] = Counter()
    for nodeid, files in lines.items():
        target = failed if nodeid in failing else passed
        for file, numbers in files.items():
            if is_production(file):
                target.update((file, n) for n in numbers)

    def score(line: tuple[str, int]) -> tuple[float, int, str, int]:
        ef, ep = failed[line], passed[line]
        ochiai = ef / math.sqrt(total * (ef + ep)) if ef else 0.0
        return (-ochiai, ep, line[0], line[1])  # best first; ties: fewer passing, then place

    result = {}
    for nodeid in failing:
        ran = [(f, n) for f, ns in lines.get(nodeid, {}).items() if is_production(f) for n in ns]
        if ran:
            result[nodeid] = min(ran, key=score)
    return result


def shared_causes(verdicts: list[Verdict], tests_lines: Lines, layout: Layout) -> list[Verdict]:
    """Production failures that assert in the test (their raise site says nothing of the
    cause) get the production line they most likely come from as their cause, so failures of
    one bug form one root cause."""
    suspects = suspect_lines(
        {v.nodeid for v in verdicts}, tests_lines, lambda f: not layout.is_test_code(f)
    )
    result = []
    for v in verdicts:
        line = suspects.get(v.nodeid)
        if v.category == Category.PRODUCTION and not v.cause and line is not None:
            where = f"{layout.rel(line[0])}:{line[1]}"
            said = (
                f"of the production lines it executes, {where} is the one failing tests run "
                "most and passing tests least: the likeliest cause"
            )
            v = dataclasses.replace(v, cause=where, evidence=(*v.evidence, said))
        result.append(v)
    return result
