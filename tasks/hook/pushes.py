"""What a push sends, read from git's pre-push input (or pre-commit's environment), as the
commit ranges whose changes the selection looks at. Pure: every question about the history
goes to a `History`, so each form of push is a row in a table test.

git writes one line per ref: `<local ref> <local oid> <remote ref> <remote oid>`. Every line
is checked (pre-commit checks only the first). A deleted ref has nothing to test; a new ref is
compared with what no remote has yet; a force push with the merge base of the old and new tip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Protocol

from tasks.affected.model import CommitRange
from tasks.errors import ConfigError

DELETE = "(delete)"


class PushInputError(ConfigError):
    """A pre-push line that does not have git's four fields."""


def is_zero(oid: str) -> bool:
    """git's "no object": 40 zeros, or 64 in a SHA-256 repository."""
    return len(oid) in (40, 64) and not oid.strip("0")


@dataclasses.dataclass(frozen=True)
class RefUpdate:
    """One line of git's pre-push input."""

    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str

    @property
    def deleted(self) -> bool:
        return self.local_ref == DELETE or is_zero(self.local_oid)

    @property
    def new(self) -> bool:
        """The remote has no such ref yet (a new branch or tag)."""
        return is_zero(self.remote_oid)


def parse(text: str) -> list[RefUpdate]:
    """git's pre-push input -> one update per line. A local ref may hold spaces (a refspec's
    source can be any revision expression), so the fields are split from the right."""
    updates = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise PushInputError(
                f"pre-push input line {line!r}: expected `<local ref> <local oid> <remote ref> "
                "<remote oid>` (is `phasegate hook run` being called by git?)"
            )
        updates.append(RefUpdate(*parts))
    return updates


class History(Protocol):
    """The questions about the repository's history that turn an update into a range."""

    def commit(self, oid: str) -> str | None:
        """The commit `oid` is or points at (a tag peeled); None when it is no commit here."""
        ...

    def unpublished(self, commit: str) -> list[str]:
        """The commits reachable from `commit` that no remote-tracking ref reaches, newest
        first (`git rev-list --topo-order <commit> --not --remotes`)."""
        ...

    def first_parent(self, commit: str) -> str | None: ...

    def is_ancestor(self, ancestor: str, commit: str) -> bool: ...

    def merge_base(self, one: str, other: str) -> str | None: ...

    def upstream_base(self, commit: str) -> str | None:
        """The merge base of `commit` and the current branch's upstream, if it has one."""
        ...


def new_ref_base(head: str, history: History) -> tuple[bool, str | None]:
    """(anything new?, base) for a ref the remote does not have: the parent of the oldest
    commit no remote has; when that is a root commit, the upstream's merge base, else None
    (nothing to compare against: the whole suite)."""
    new = history.unpublished(head)
    if not new:
        return False, None  # every commit is on a remote already: e.g. a tag of a pushed commit
    parent = history.first_parent(new[-1])
    if parent is not None:
        return True, parent
    upstream = history.upstream_base(head)
    return True, upstream if upstream != head else None


def range_of(update: RefUpdate, history: History) -> CommitRange | None:
    """The commits one update brings, or None when it brings nothing to test."""
    if update.deleted:
        return None
    head = history.commit(update.local_oid)
    if head is None:
        return None  # a tag of a tree or a blob: no code to test
    remote = None if update.new else history.commit(update.remote_oid)
    if remote is not None:
        if remote == head:
            return None
        if history.is_ancestor(remote, head):
            return CommitRange(remote, head)  # a fast-forward
        base = history.merge_base(remote, head)  # a force push, or a rewind
        if base is not None:
            return None if base == head else CommitRange(base, head)
    # A new ref, a remote tip this repository never fetched, or unrelated histories.
    anything, base = new_ref_base(head, history)
    return CommitRange(base, head) if anything else None


def ranges(updates: Sequence[RefUpdate], history: History) -> list[CommitRange]:
    """Every range the push brings, each once, in the order of the input."""
    found: list[CommitRange] = []
    for update in updates:
        one = range_of(update, history)
        if one is not None and one not in found:
            found.append(one)
    return found


def from_pre_commit(env: Mapping[str, str]) -> list[CommitRange] | None:
    """pre-commit's hand-over at the pre-push stage: PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF;
    a push of a whole new history gets no FROM/TO but its local branch (the whole suite).
    None when pre-commit did not call us."""
    to_ref = env.get("PRE_COMMIT_TO_REF")
    if to_ref:
        return [CommitRange(env.get("PRE_COMMIT_FROM_REF") or None, to_ref)]
    local = env.get("PRE_COMMIT_LOCAL_BRANCH")
    if local and env.get("PRE_COMMIT_REMOTE_BRANCH"):
        return [CommitRange(None, local)]
    return None
