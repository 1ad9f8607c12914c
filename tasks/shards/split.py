"""The split of the collected tests into N shards: pure, deterministic, balanced by duration.

As pytest-split's least-duration algorithm: tests sorted by recorded duration, longest first
(ties by their collection position), each to the shard that is lightest so far (ties to the
lowest index). A test with no recorded duration counts as the median of the recorded ones;
with none recorded at all, every test weighs the same, which spreads the tests round-robin in
collection order. Each shard then runs its tests in collection order.

A module that could not be collected is one more entry (its file's node id), weighed like a
test, so its error is reported by exactly one shard.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections.abc import Mapping, Sequence

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` (1-based, as GitLab's CI_NODE_INDEX/CI_NODE_TOTAL) as (K, N); ValueError says
    what is wrong."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise ValueError("must be K/N, e.g. 2/4 (shard 2 of 4)")
    k, n = int(match[1]), int(match[2])
    if n < 1 or not 1 <= k <= n:
        raise ValueError(f"must have 1 <= K <= N (got K={k}, N={n})")
    return k, n


def shard_name(k: int, n: int) -> str:
    """The shard's folder under `<reports_dir>/shards/`."""
    return f"{k}-of-{n}"


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


def digest(data: object) -> str:
    """A short, stable fingerprint of JSON-able data (the collection, the durations)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
