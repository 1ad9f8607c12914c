"""The commit a phase started from: `base_ref`, else the previous phase's commit in the history."""

from __future__ import annotations

from tasks import gitinfo
from tasks.artifacts.history import load_history, previous
from tasks.config import PhaseConfig
from tasks.errors import GitError, HistoryError


def resolve_base(config: PhaseConfig) -> tuple[str | None, str]:
    """(sha or None, a sentence on where it came from)."""
    if gitinfo.toplevel(config.project) is None:
        return None, "not a git repository"
    if config.base_ref:
        return gitinfo.resolve(config.project, config.base_ref), f"base_ref {config.base_ref}"
    try:
        before = previous(load_history(config.trending), config.phase)
    except HistoryError:
        before = None
    commit = before.get("commit") if before else None
    if before is not None and isinstance(commit, str) and commit:
        try:
            return gitinfo.resolve(config.project, commit), f"phase {before['phase']}'s commit"
        except GitError:
            pass
    return None, "no base_ref set and no previous phase in the history"
