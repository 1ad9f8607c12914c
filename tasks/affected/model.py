"""What a selection is: the contract between the selection (`tasks.affected`), its printers
(`phasegate affected`, `--json`) and its users (the pre-push hook in `tasks.hook`)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class CommitRange:
    """The commits `base..head` (object names git resolves; `base` None: nothing to compare
    against, which selects the whole suite)."""

    base: str | None
    head: str


@dataclasses.dataclass(frozen=True)
class SelectedTest:
    """One selected test (a pytest node id relative to pytest's rootdir, or a test file's
    path when every test in it is selected) and every reason it was selected, e.g.
    "executes pkg/mod.py:12 (changed)", "in a changed test file", "failed last time"."""

    nodeid: str
    reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Selection:
    """The tests to run for a set of commit ranges.

    `full_suite`: the selection cannot be trusted (or there is nothing to select from) and
    the whole suite must run; `why` says why in one line (None when selective).
    `nothing_to_test`: the changes touch no Python file and no config: run nothing.
    `selected`: in the order to run them (most relevant first when a budget cut it).
    `left_out`: what `hook_budget` left out, never silently.
    `known`: the tests the index knows; `estimated_seconds`: the selected tests' recorded
    durations (None when unknown). `rootdir`: pytest's rootdir, which the node ids are
    relative to (hand them to pytest run from the project with
    `tasks.pytest_runner.as_argument`); None when not looked up."""

    full_suite: bool
    why: str | None
    nothing_to_test: bool
    selected: tuple[SelectedTest, ...]
    left_out: tuple[SelectedTest, ...]
    known: int
    estimated_seconds: float | None
    rootdir: str | None = None
