"""The split of the collected tests into N shards, as phasegate uses it: the `K/N` argument,
the shard's folder name, fingerprints; the split itself (weights, split, share) is the pytest
plugin's (tasks/pytest_plugin/phasegate_split.py), re-exported here: one implementation, run
inside each shard's pytest process and imported by phasegate.
"""

from __future__ import annotations

import hashlib
import json
import re

from tasks.pytest_plugin.phasegate_split import share, split, weights

__all__ = ["digest", "parse_shard", "shard_name", "share", "split", "weights"]
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


def digest(data: object) -> str:
    """A short, stable fingerprint of JSON-able data (the collection, the durations)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
