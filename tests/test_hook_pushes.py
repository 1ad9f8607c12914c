"""Reading a push: git's pre-push lines, every form of update, pre-commit's hand-over, and the
environment the hook's children get. Pure tables over a fake history."""

from __future__ import annotations

import dataclasses

import pytest

from tasks.affected.model import CommitRange
from tasks.hook import pushes, report
from tasks.hook.pushes import PushInputError, RefUpdate

Z40 = "0" * 40
Z64 = "0" * 64
A, B, C, D, R = (ch * 40 for ch in "abcd1")  # R: a root commit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one ref
        (
            f"refs/heads/main {B} refs/heads/main {A}\n",
            [RefUpdate("refs/heads/main", B, "refs/heads/main", A)],
        ),
        # several refs in one push: every line, in order
        (
            f"refs/heads/x {B} refs/heads/x {A}\nrefs/tags/v1 {C} refs/tags/v1 {Z40}\n",
            [
                RefUpdate("refs/heads/x", B, "refs/heads/x", A),
                RefUpdate("refs/tags/v1", C, "refs/tags/v1", Z40),
            ],
        ),
        # a local ref with a space (any revision expression): split from the right
        (
            f"HEAD~1 foo {B} refs/heads/main {A}\n",
            [RefUpdate("HEAD~1 foo", B, "refs/heads/main", A)],
        ),
        # empty input, blank lines
        ("", []),
        ("\n\n", []),
        # SHA-256 repositories: 64 hex digits
        (
            f"(delete) {Z64} refs/heads/old {'e' * 64}\n",
            [RefUpdate("(delete)", Z64, "refs/heads/old", "e" * 64)],
        ),
    ],
)
def test_parse(text: str, expected: list[RefUpdate]) -> None:
    assert pushes.parse(text) == expected


def test_a_line_without_four_fields_is_one_clear_error() -> None:
    with pytest.raises(PushInputError, match=r"pre-push input line 'refs/heads/main abc'"):
        pushes.parse("refs/heads/main abc\n")


@pytest.mark.parametrize(
    ("oid", "zero"),
    [(Z40, True), (Z64, True), ("0" * 39, False), ("0" * 41, False), (A, False), ("", False)],
)
def test_is_zero(oid: str, zero: bool) -> None:
    assert pushes.is_zero(oid) is zero


@dataclasses.dataclass
class FakeHistory:
    """A history: commits (a tag peels to its commit), parents, what no remote has."""

    parents: dict[str, str | None]
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    unpublished_of: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    upstream: str | None = None

    def commit(self, oid: str) -> str | None:
        oid = self.tags.get(oid, oid)
        return oid if oid in self.parents else None

    def unpublished(self, commit: str) -> list[str]:
        return self.unpublished_of.get(commit, [])

    def first_parent(self, commit: str) -> str | None:
        return self.parents[commit]

    def _line(self, commit: str | None) -> list[str]:
        found = []
        while commit is not None:
            found.append(commit)
            commit = self.parents[commit]
        return found

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        return ancestor in self._line(commit)

    def merge_base(self, one: str, other: str) -> str | None:
        theirs = self._line(other)
        return next((c for c in self._line(one) if c in theirs), None)

    def upstream_base(self, commit: str) -> str | None:
        return None if self.upstream is None else self.merge_base(self.upstream, commit)


# R <- A <- B <- C (main), A <- D (a rewritten branch)
LINEAR = {R: None, A: R, B: A, C: B, D: A}
TAG = "7" * 40  # an annotated tag object pointing at B


@pytest.mark.parametrize(
    ("update", "history", "expected"),
    [
        # a fast-forward: the remote's tip to the pushed one
        (
            RefUpdate("refs/heads/main", C, "refs/heads/main", A),
            FakeHistory(LINEAR),
            CommitRange(A, C),
        ),
        # nothing new: the remote has this commit
        (RefUpdate("refs/heads/main", C, "refs/heads/main", C), FakeHistory(LINEAR), None),
        # a deleted ref: nothing to test, whether git writes (delete) or zeros
        (RefUpdate("(delete)", Z40, "refs/heads/old", C), FakeHistory(LINEAR), None),
        (RefUpdate("refs/heads/x", Z64, "refs/heads/old", C), FakeHistory(LINEAR), None),
        # a force push: from the merge base of the old and the new tip
        (
            RefUpdate("refs/heads/main", D, "refs/heads/main", C),
            FakeHistory(LINEAR),
            CommitRange(A, D),
        ),
        # a rewind to an older commit: nothing new
        (RefUpdate("refs/heads/main", A, "refs/heads/main", C), FakeHistory(LINEAR), None),
        # a new branch: from the parent of the oldest commit no remote has
        (
            RefUpdate("refs/heads/feature", C, "refs/heads/feature", Z40),
            FakeHistory(LINEAR, unpublished_of={C: [C, B]}),
            CommitRange(A, C),
        ),
        # a new branch in a SHA-256 repository (64 zeros)
        (
            RefUpdate("refs/heads/feature", C, "refs/heads/feature", Z64),
            FakeHistory(LINEAR, unpublished_of={C: [C]}),
            CommitRange(B, C),
        ),
        # a new branch of commits every remote has: nothing new
        (RefUpdate("refs/heads/copy", C, "refs/heads/copy", Z40), FakeHistory(LINEAR), None),
        # the first push of a whole history: no remote has its root; the upstream's merge base
        (
            RefUpdate("refs/heads/main", C, "refs/heads/main", Z40),
            FakeHistory(LINEAR, unpublished_of={C: [C, B, A, R]}, upstream=A),
            CommitRange(A, C),
        ),
        # ... and without an upstream: no base, the whole suite
        (
            RefUpdate("refs/heads/main", C, "refs/heads/main", Z40),
            FakeHistory(LINEAR, unpublished_of={C: [C, B, A, R]}),
            CommitRange(None, C),
        ),
        # a remote tip this repository never fetched: what no remote-tracking ref has
        (
            RefUpdate("refs/heads/main", C, "refs/heads/main", "9" * 40),
            FakeHistory(LINEAR, unpublished_of={C: [C]}),
            CommitRange(B, C),
        ),
        # a new annotated tag of a commit a remote has: peeled, nothing new
        (
            RefUpdate("refs/tags/v1", TAG, "refs/tags/v1", Z40),
            FakeHistory(LINEAR, tags={TAG: B}),
            None,
        ),
        # a new tag of an unpushed commit: tested like a branch
        (
            RefUpdate("refs/tags/v2", TAG, "refs/tags/v2", Z40),
            FakeHistory(LINEAR, tags={TAG: B}, unpublished_of={B: [B]}),
            CommitRange(A, B),
        ),
        # a tag of a tree or a blob: no commit, no code to test
        (RefUpdate("refs/tags/tree", "8" * 40, "refs/tags/tree", Z40), FakeHistory(LINEAR), None),
    ],
)
def test_range_of(update: RefUpdate, history: FakeHistory, expected: CommitRange | None) -> None:
    assert pushes.range_of(update, history) == expected


def test_every_ref_of_a_push_is_checked_and_each_range_once() -> None:
    history = FakeHistory(LINEAR, unpublished_of={C: [C]})
    updates = [
        RefUpdate("refs/heads/main", C, "refs/heads/main", A),
        RefUpdate("(delete)", Z40, "refs/heads/old", B),
        RefUpdate("refs/heads/feature", D, "refs/heads/feature", B),  # forced
        RefUpdate("refs/heads/again", C, "refs/heads/again", A),  # the same range again
    ]
    assert pushes.ranges(updates, history) == [CommitRange(A, C), CommitRange(A, D)]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"PRE_COMMIT_FROM_REF": A, "PRE_COMMIT_TO_REF": C}, [CommitRange(A, C)]),
        # pre-commit pushing a whole new history: no FROM/TO, the whole suite of its branch
        (
            {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main", "PRE_COMMIT_REMOTE_BRANCH": "main"},
            [CommitRange(None, "refs/heads/main")],
        ),
    ],
)
def test_from_pre_commit(env: dict[str, str], expected: list[CommitRange] | None) -> None:
    assert pushes.from_pre_commit(env) == expected


def test_the_hooks_children_do_not_see_the_variables_git_set_for_it() -> None:
    env = {
        "GIT_DIR": ".git",
        "GIT_INDEX_FILE": ".git/index",
        "GIT_WORK_TREE": ".",
        "GIT_PREFIX": "sub/",
        "GIT_OBJECT_DIRECTORY": "x",
        "GIT_QUARANTINE_PATH": "q",
        "GIT_SSH_COMMAND": "ssh -i key",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "a.b",
        "GIT_CONFIG_VALUE_0": "c",
        "PATH": "/bin",
    }
    assert report.without_git_env(env) == {
        "GIT_SSH_COMMAND": "ssh -i key",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "a.b",
        "GIT_CONFIG_VALUE_0": "c",
        "PATH": "/bin",
    }


@pytest.mark.parametrize(
    ("value", "skip"),
    [("1", True), ("yes", True), ("TRUE", True), ("", False), ("0", False), ("no", False)],
)
def test_skip_variable(value: str, skip: bool) -> None:
    assert report.skipped({"PHASEGATE_SKIP": value}) is skip
    assert report.skipped({}) is False
