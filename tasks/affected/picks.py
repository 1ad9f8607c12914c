"""The selection being built: each selected node id (or test file, or folder of tests) with
its reasons and how relevant it is, or the one reason the whole suite must run; and the
budget cut that keeps the most relevant first."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from tasks.affected.model import SelectedTest

# How relevant a reason is, most first: what a budget keeps.
FAILED_LAST_TIME = 0
EXECUTES_CHANGE = 1
CHANGED_TESTS = 2
UNKNOWN = 3
FILE_LEVEL = 4


@dataclasses.dataclass
class Picks:
    reasons: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    rank: dict[str, int] = dataclasses.field(default_factory=dict)
    full: str | None = None  # why the whole suite must run (the first reason found)

    def add(self, nodeids: Iterable[str], reason: str, rank: int) -> None:
        for nodeid in nodeids:
            reasons = self.reasons.setdefault(nodeid, [])
            if reason not in reasons:
                reasons.append(reason)
            self.rank[nodeid] = min(rank, self.rank.get(nodeid, rank))

    def whole_suite(self, why: str) -> None:
        if self.full is None:
            self.full = why


def covers(path: str, nodeid: str) -> bool:
    """Whether selecting the file or folder `path` runs `nodeid`."""
    return nodeid != path and (
        nodeid.startswith(path + "::") or nodeid.startswith(path.rstrip("/") + "/") or path == "."
    )


def merged(picks: Picks) -> list[tuple[str, list[str], int]]:
    """Selected node ids, those a selected file or folder runs anyway folded into it."""
    paths = [p for p in picks.reasons if "::" not in p]
    folded: dict[str, str] = {}
    for nodeid in picks.reasons:
        holder = next((p for p in sorted(paths, key=len) if covers(p, nodeid)), None)
        if holder is not None:
            folded[nodeid] = holder
    reasons = {k: list(v) for k, v in picks.reasons.items() if k not in folded}
    rank = {k: v for k, v in picks.rank.items() if k not in folded}
    for nodeid, holder in folded.items():
        for reason in picks.reasons[nodeid]:
            if reason not in reasons[holder]:
                reasons[holder].append(reason)
        rank[holder] = min(rank[holder], picks.rank[nodeid])
    return sorted(((k, reasons[k], rank[k]) for k in reasons), key=lambda e: (e[2], e[0]))


def duration(nodeid: str, durations: Mapping[str, float]) -> float | None:
    """The recorded time of a test, or of every known test in a file or folder."""
    if nodeid in durations:
        return durations[nodeid]
    inside = [d for n, d in durations.items() if covers(nodeid, n)]
    return sum(inside) if inside else None


def cut(
    entries: list[tuple[str, list[str], int]],
    durations: Mapping[str, float],
    budget: float | None,
) -> tuple[tuple[SelectedTest, ...], tuple[SelectedTest, ...], float | None]:
    """(selected, left out, estimated seconds): the most relevant first, as many as fit; the
    first that does not fit leaves out every one after it (never a less relevant instead)."""
    selected: list[SelectedTest] = []
    left_out: list[SelectedTest] = []
    total: float | None = None
    for nodeid, reasons, _ in entries:
        seconds = duration(nodeid, durations)
        test = SelectedTest(nodeid, tuple(reasons))
        after = (total or 0.0) + (seconds or 0.0)
        if budget is not None and selected and (left_out or after > budget):
            left_out.append(test)
            continue
        selected.append(test)
        if seconds is not None:
            total = after
    return tuple(selected), tuple(left_out), None if total is None else round(total, 3)
