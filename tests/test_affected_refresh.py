"""The index refresh: measured again with per-test contexts after the hook's run, folded into
impact.json file by file, never while another phasegate run holds the lock, and detached from
the process that starts it."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from affected_sample import _indexed_once, change, project
from conftest import commit_all, git, write_files

from tasks.affected import merge, refresh, refresher
from tasks.affected.model import CommitRange
from tasks.affected.select import select
from tasks.artifacts import Artifacts, store
from tasks.artifacts.impact import IMPACT, ImpactArtifact, ImpactFile, config_fingerprint
from tasks.config import load_config
from tasks.errors import LockedError
from tasks.lock import hold

__all__ = ["_indexed_once", "change", "project"]  # the fixtures these tests use
pytestmark = pytest.mark.xdist_group("affected")
PYTHON = Path(sys.executable)


def index_of(project: Path) -> ImpactArtifact:
    return store.load(Artifacts(project / ".phasegate/reports").impact_json, IMPACT)


def executing(index: ImpactArtifact, name: str) -> set[str]:
    return {index["tests"][i] for ids in index["files"][name]["lines"].values() for i in ids}


def edit_double(project: Path) -> str:
    text = (project / "pkg/calc.py").read_text().replace("x * RATE", "x * RATE * 1")
    write_files(project, {"pkg/calc.py": text})
    return commit_all(project, "double")


def test_a_refresh_replaces_a_changed_files_entry_and_the_measured_tests(project: Path) -> None:
    before = index_of(project)
    head = edit_double(project)
    config = load_config(project, env={})
    said = refresher.refresh(config, PYTHON, ["tests/test_calc.py::test_double"])
    assert said == "refreshed 3 tests and 1 changed files"
    after = index_of(project)
    # Every test of the changed file ran again: its entry is whole and matches its content.
    assert after["files"]["pkg/calc.py"]["sha256"] != before["files"]["pkg/calc.py"]["sha256"]
    assert executing(after, "pkg/calc.py") == executing(before, "pkg/calc.py")
    assert after["files"]["pkg/calc.py"]["import_lines"] == [1, 4, 8, 12]
    # The next change in the same function is selected by its lines, not file by file.
    text = (project / "pkg/calc.py").read_text().replace("x * RATE * 1", "x * RATE * 2")
    write_files(project, {"pkg/calc.py": text})
    selection = select(config, [CommitRange(head, commit_all(project, "again"))])
    assert selection.selected[0].reasons == ("executes double() in pkg/calc.py, changed at line 9",)
    assert not list((project / ".phasegate/reports/refresh").glob("run-*"))


def test_a_refresh_never_writes_while_another_run_holds_the_lock(project: Path) -> None:
    edit_double(project)
    before = (project / ".phasegate/reports/impact.json").read_bytes()
    config = load_config(project, env={})
    with hold(project, "phasegate validate"), pytest.raises(LockedError):
        refresher.refresh(config, PYTHON, ["tests/test_calc.py::test_double"])
    assert (project / ".phasegate/reports/impact.json").read_bytes() == before


def test_the_first_index_comes_from_a_whole_suite_refresh(project: Path) -> None:
    reports = project / ".phasegate/reports"
    (reports / "impact.json").unlink()
    (reports / "run.json").unlink()
    config = load_config(project, env={})
    head = git(project, "rev-parse", "HEAD")
    assert select(config, [CommitRange("HEAD~0", head)]).nothing_to_test
    assert refresher.refresh(config, PYTHON, ["tests/test_calc.py::test_add"]) == (
        "no impact index to refresh: only a whole-suite run builds the first one"
    )
    assert refresher.refresh(config, PYTHON, []) == "wrote the first impact index (3 tests)"
    assert executing(index_of(project), "pkg/calc.py") == {
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_double",
        "tests/sub/test_sub.py::test_sub",
    }


def test_start_returns_at_once_and_the_detached_process_refreshes(project: Path) -> None:
    edit_double(project)
    before = index_of(project)["files"]["pkg/calc.py"]["sha256"]
    refresh.start(load_config(project, env={}), PYTHON, ["tests/test_calc.py::test_double"])
    log = project / ".phasegate/reports/refresh/refresh.log"
    deadline = time.monotonic() + 60
    while "refreshed" not in (log.read_text() if log.is_file() else ""):
        assert time.monotonic() < deadline, log.read_text() if log.is_file() else "no log"
        time.sleep(0.1)
    assert index_of(project)["files"]["pkg/calc.py"]["sha256"] != before


def entry(sha: str, lines: dict[str, list[int]]) -> ImpactFile:
    return ImpactFile(sha256=sha, lines=lines, import_lines=[1])


def artifact(tests: list[str], files: dict[str, ImpactFile]) -> ImpactArtifact:
    fingerprint = config_fingerprint([], [], [], [])
    return ImpactArtifact(
        base_run_id="r", per_test=True, config=fingerprint, tests=tests, files=files
    )


def test_merge_keeps_other_tests_and_replaces_the_measured_and_changed() -> None:
    whole = artifact(
        ["a", "b", "c"],
        {
            "same.py": entry("s1", {"1": [0, 1], "2": [2]}),
            "changed.py": entry("old", {"5": [0, 2]}),
            "gone.py": entry("g", {"3": [2]}),
        },
    )
    fresh = artifact(
        ["a", "c"],
        {"same.py": entry("s1", {"3": [0]}), "changed.py": entry("new", {"6": [0, 1]})},
    )
    merged = merge.merge(whole, fresh, ["a", "c"], ["changed.py", "gone.py"])
    names = {
        f: {k: sorted(merged["tests"][i] for i in v) for k, v in e["lines"].items()}
        for f, e in merged["files"].items()
    }
    assert names == {
        "changed.py": {"6": ["a", "c"]},
        "same.py": {"1": ["b"], "3": ["a"]},
    }
    assert merged["files"]["changed.py"]["sha256"] == "new"
    assert json.loads(json.dumps(merged)) == merged
