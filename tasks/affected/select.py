"""`select`: the tests a set of commit ranges can break, each with its reasons, or the whole
suite with the one reason the selection cannot be trusted.

A range that changes no Python file, no configuration and no file the tests read is answered
from `git diff --name-status` alone (no index, no coverage, no pytest): a docs-only push
takes a few milliseconds.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from pathlib import Path

from tasks import gitinfo
from tasks.affected import diff, inputs, rules
from tasks.affected.kinds import TEST_FILE_GLOBS, Kind, classify, test_folder
from tasks.affected.model import CommitRange, Selection
from tasks.affected.picks import CHANGED_TESTS, FAILED_LAST_TIME, UNKNOWN, Picks, cut, merged
from tasks.config import PhaseConfig

NO_BASE = "no base commit to compare with (a new branch no remote has seen, or no upstream)"


def full(why: str, found: inputs.Inputs) -> Selection:
    durations = found.durations
    total = round(sum(durations.values()), 3) if durations else None
    return Selection(True, why, False, (), (), len(found.known), total, str(found.rootdir))


def _test_paths(found: inputs.Inputs) -> tuple[frozenset[Path], frozenset[Path]]:
    """The known test files (absolute) and the folders that hold them."""
    files = frozenset(found.rootdir / n.split("::", 1)[0] for n in found.known)
    return files, frozenset(f.parent for f in files)


def _changes(
    top: Path, ranges: Sequence[CommitRange]
) -> tuple[list[tuple[CommitRange, dict[str, str]]], bool]:
    """The changed names of each range with a base; and whether some range has no base."""
    named = [(r, diff.changed_names(top, r.base, r.head)) for r in ranges if r.base is not None]
    return named, any(r.base is None for r in ranges)


def _one_file(scope: rules.Scope, rng: CommitRange, change: diff.Change, kind: Kind) -> None:
    path = scope.top / change.path
    project, picks = scope.config.project, scope.picks
    rel = scope.key(path) if path.is_relative_to(project) else change.path
    entry = scope.index["files"].get(rel) if path.is_relative_to(project) else None
    if kind is Kind.CONFTEST:
        if path.parent in (project, scope.inputs.rootdir) or not path.parent.is_relative_to(
            scope.inputs.rootdir
        ):
            picks.whole_suite(f"{rel} changed: every test runs under it")
        if path.parent.is_dir():  # else the folder went with it: nothing left to run there
            reason = f"under a changed conftest.py ({rel})"
            picks.add([scope.nodeid(path.parent)], reason, CHANGED_TESTS)
    elif kind is Kind.TEST and entry is None:
        if change.status != "D":
            new = "a new" if change.status == "A" else "a changed"
            picks.add([scope.nodeid(path)], f"in {new} test file", CHANGED_TESTS)
    elif kind in (Kind.TEST, Kind.PYTHON) and entry is not None:
        rules.production(scope, change, str(rng.base), rng.head, entry)
        if kind is Kind.TEST and change.status != "D":  # a module's own doctests
            picks.add([scope.nodeid(path)], "in a changed test file", CHANGED_TESTS)
    elif kind is Kind.PYTHON:
        _unmeasured(scope, change, path, rel)
    elif kind is Kind.PACKAGE_DATA:
        picks.whole_suite(f"{rel} changed: a data file inside a source package")
    elif kind is Kind.TEST_DATA:
        folder = test_folder(path, {f.parent for f in scope.test_files}, project)
        if folder is not None and folder.is_dir():
            picks.add([scope.nodeid(folder)], f"beside {rel}, changed", CHANGED_TESTS)


def _unmeasured(scope: rules.Scope, change: diff.Change, path: Path, rel: str) -> None:
    """A changed Python file the index has no entry for."""
    if change.status == "D":
        scope.importers(path, f"imports {rel} (deleted)")
        return
    folder = test_folder(path, {f.parent for f in scope.test_files}, scope.config.project)
    if folder is None:
        scope.picks.whole_suite(f"{rel} changed and coverage never measured it")
        return
    scope.picks.add([scope.nodeid(folder)], f"beside {rel}, changed", CHANGED_TESTS)
    scope.importers(path, f"imports {rel}, changed")


def _extras(scope: rules.Scope) -> None:
    """Tests that failed last time, tests the index does not know, test files it never saw."""
    found, picks = scope.inputs, scope.picks

    def exists(nodeid: str) -> bool:
        return (found.rootdir / nodeid.split("::", 1)[0]).exists()

    picks.add(sorted(n for n in found.failed if exists(n)), "failed last time", FAILED_LAST_TIME)
    indexed = set(scope.index["tests"])
    unknown = sorted(n for n in found.known if n not in indexed and exists(n))
    picks.add(unknown, "the impact index holds no line it executed", UNKNOWN)
    folders = {f.parent for f in scope.test_files}
    new = [
        f
        for f in scope.python_files()
        if f.parent in folders
        and f not in scope.test_files
        and scope.nodeid(f) not in picks.reasons
        and any(fnmatch.fnmatch(f.name, g) for g in TEST_FILE_GLOBS)
    ]
    picks.add([scope.nodeid(f) for f in new], "a test file the impact index does not know", UNKNOWN)


def select(
    config: PhaseConfig, ranges: Sequence[CommitRange], *, budget: float | None = None
) -> Selection:
    """The tests `ranges` can break. `budget` (seconds; None: the `hook_budget` option) keeps
    the most relevant that fit and leaves the rest out."""
    return selecting(config, ranges, budget=budget)[0]


def selecting(
    config: PhaseConfig,
    ranges: Sequence[CommitRange],
    *,
    budget: float | None = None,
    top: Path | None = None,
    found: inputs.Inputs | None = None,
    working: Callable[[], None] | None = None,
) -> tuple[Selection, inputs.Inputs]:
    """`select`, and what it read (the index too, when it needed it), for a caller that reads
    them again (the hook, when a selected test fails). `top`: the repository's root, when the
    caller knows it; `found`: `inputs.load(config)`, when the caller has read it already;
    `working` is called once the changes are known to need tests selected from the index
    (the hook then starts pytest, which reads the selection when it is done)."""
    budget = config.hook_budget if budget is None else budget
    top = top or gitinfo.toplevel(config.project)
    found = found or inputs.load(config)
    if top is None:
        return full(f"{config.project} is not in a git repository", found), found
    top, project = top.resolve(), config.project.resolve()
    named, baseless = _changes(top, ranges)
    test_files, test_dirs = _test_paths(found)
    kinds = {
        (r, name): classify(top / name, project, test_files, test_dirs)
        for r, names in named
        for name in names
    }
    if baseless:
        return full(NO_BASE, found), found
    if all(kind is Kind.OTHER for kind in kinds.values()):
        nothing = Selection(False, None, True, (), (), len(found.known), 0.0, str(found.rootdir))
        return nothing, found
    for (_, name), kind in kinds.items():
        if kind is Kind.CONFIG:
            why = f"{name} changed: it configures the tests or their dependencies"
            return full(why, found), found
    if working is not None:
        working()
    if found.index is None and found.why is None:  # else read for an earlier range already
        found = inputs.with_index(config, found)
    if found.index is None:
        return full(str(found.why), found), found
    scope = rules.Scope(config, top, found, found.index, Picks(), test_files)
    for rng, names in named:
        wanted = [n for n in names if kinds[rng, n] in (Kind.TEST, Kind.PYTHON)]
        hunks = diff.hunks(top, str(rng.base), rng.head, wanted)
        revs = (str(rng.base), rng.head)
        scope.contents.update(diff.blobs(top, [(r, n) for n in wanted for r in revs]))
        for name, status in names.items():
            change = diff.Change(name, status, tuple(hunks.get(name, ())))
            _one_file(scope, rng, change, kinds[rng, name])
    if scope.picks.full is not None:
        return full(scope.picks.full, found), found
    _extras(scope)
    selected, left_out, seconds = cut(merged(scope.picks), found.durations, budget)
    rootdir = str(found.rootdir)
    chosen = Selection(False, None, False, selected, left_out, len(found.known), seconds, rootdir)
    return chosen, found
