"""The split of the collected tests into N shards: pure, deterministic, balanced by duration.
The one implementation: each shard's pytest process runs it (phasegate_shard), and phasegate
itself imports it (tasks.shards.split). Standard library only, whatever the test Python.

As pytest-split's least-duration algorithm: tests sorted by recorded duration, longest first
(ties by their collection position), each to the shard that is lightest so far (ties to the
lowest index). A test with no recorded duration counts as the median of the recorded ones;
with none recorded at all, every test weighs the same, which spreads the tests round-robin in
collection order. Each shard then runs its tests in collection order.

A module that could not be collected is one more entry (its file's node id), weighed like a
test, so its error is reported by exactly one shard.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence


def weights(ids: Sequence[str], durations: Mapping[str, float]) -> list[float]:
    """Each test's weight: its recorded duration, else the median of the recorded ones."""
    known = [float(durations[i]) for i in ids if i in durations]
    median = statistics.median(known) if known else 1.0
    return [float(durations[i]) if i in durations else median for i in ids]


def split(ids: Sequence[str], durations: Mapping[str, float], n: int) -> list[list[str]]:
    """The N groups of `ids` (collection order kept inside each group)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, not {n}")
    unique = list(dict.fromkeys(ids))
    weight = weights(unique, durations)
    by_size = sorted(range(len(unique)), key=lambda i: (-weight[i], i))
    totals = [0.0] * n
    groups: list[list[int]] = [[] for _ in range(n)]
    for i in by_size:
        lightest = min(range(n), key=lambda g: (totals[g], len(groups[g]), g))
        groups[lightest].append(i)
        totals[lightest] += weight[i]
    return [[unique[i] for i in sorted(group)] for group in groups]


def share(
    entries: Sequence[str], durations: Mapping[str, float], k: int, n: int
) -> dict[str, object]:
    """Shard `k` of `n` of `entries` as recorded: the whole collection, this shard's tests and
    their recorded seconds (none at all when the suite has fewer entries than shards)."""
    mine = split(entries, durations, n)[k - 1] if n <= len(entries) else []
    weight = dict(zip(entries, weights(entries, durations)))  # noqa: B905 (Python < 3.10)
    return {
        "shard": k,
        "of": n,
        "collected": list(entries),
        "tests": mine,
        "expected_seconds": round(sum(weight[t] for t in mine), 3),
    }
