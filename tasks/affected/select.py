"""A stand-in for the change-aware selection, so the hook can be built and tested alone:
replaced by the affected branch at merge. Any change to a Python or config file selects the
whole suite; any other change, nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from tasks import gitinfo
from tasks.affected.model import CommitRange, Selection
from tasks.config import PhaseConfig

CONFIG_NAMES = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "pytest.ini")


def _matters(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        path.suffix == ".py"
        or path.name in CONFIG_NAMES
        or path.name.startswith("requirements")
        or path.suffix == ".lock"
    )


def select(
    config: PhaseConfig, ranges: Sequence[CommitRange], *, budget: float | None = None
) -> Selection:
    """Replaced by the affected branch at merge."""
    del budget
    for one in ranges:
        if one.base is None:
            return _full("no base to compare with")
        out = gitinfo.git(config.project, "diff", "--name-only", "-z", one.base, one.head, "--")
        if any(_matters(name) for name in out.split("\0") if name):
            return _full("selection not merged yet")
    return Selection(
        full_suite=False,
        why=None,
        nothing_to_test=True,
        selected=(),
        left_out=(),
        known=0,
        estimated_seconds=None,
    )


def _full(why: str) -> Selection:
    return Selection(True, why, False, (), (), 0, None)
