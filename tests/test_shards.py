"""Shards end to end: `validate --shard K/N` in each job, then `combine`, on the sample
projects: the merged verdict equals one machine's; wrong sets of shards are refused."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, commit_all, git

from tasks.artifacts import store
from tasks.artifacts.run import RUN
from tasks.artifacts.shard import (
    DURATIONS,
    SHARD,
    SHARD_PLAN,
    SHARDS,
    ShardPlanArtifact,
    load_shard,
)
from tasks.artifacts.stability import STABILITY
from tasks.cli import main
from tasks.config import load_config
from tasks.console import Console
from tasks.errors import PhaseError
from tasks.impact import ImpactIndex
from tasks.orders import FILE
from tasks.pytest_command import Invocation
from tasks.pytest_runner import run_pytest
from tasks.shards.split import split

pytestmark = pytest.mark.xdist_group("shards")
OPTIONS = ["--runs", "2", "--rerun-budget", "0", "-q"]
REPORTS = Path(".phasegate") / "reports"


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def run_shards(project: Path, n: int, *extra: str) -> list[int]:
    return [
        main(["--project", str(project), "validate", "--shard", f"{k}/{n}", *OPTIONS, *extra])
        for k in range(1, n + 1)
    ]


@dataclasses.dataclass(frozen=True)
class Pair:
    one: Path  # validated on one machine
    split: Path  # 3 shard jobs, then combine (a git repository)
    combined: int  # combine's exit code


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    base = tmp_path_factory.mktemp("shards")
    one, split_ = base / "one", base / "split"
    shutil.copytree(FIXTURES / "basic", one)
    shutil.copytree(FIXTURES / "basic", split_)
    git(split_, "init", "-q")
    commit_all(split_, "the sample")
    # One machine runs one pytest at a time; each shard job runs its stability run beside its
    # instrumented run: the same results either way.
    assert main(["--project", str(one), "validate", *OPTIONS, "--jobs", "1"]) == 1  # it fails
    assert run_shards(split_, 3, "--jobs", "2") == [1, 1, 1]  # each shard has a failing test
    return Pair(one, split_, main(["--project", str(split_), "combine", *OPTIONS]))


def outcomes(project: Path) -> dict[str, tuple[str, str]]:
    run = read(project / REPORTS / "run.json")
    return {t["nodeid"]: (t["outcome"], t["when"]) for t in run["tests"]}


def impact_map(project: Path) -> dict[str, dict[str, list[str]]]:
    index = ImpactIndex.from_json(project, read(project / REPORTS / "impact.json"))
    return {
        file: {line: sorted(index.tests[i] for i in ids) for line, ids in entry["lines"].items()}
        for file, entry in index.files.items()
    }


def gate_rows(project: Path) -> list[tuple[str, str, str]]:
    gates = read(project / REPORTS / "gates.json")["gates"]
    # The duration gate measures time, the one thing sharding is meant to change.
    return [(g["name"], g["status"], g["actual"]) for g in gates if "duration" not in g["name"]]


def test_combined_shards_equal_one_machines_run(pair: Pair) -> None:
    assert pair.combined == 1  # exits like validate: the same gates fail
    one, merged = (read(p / REPORTS / "run.json") for p in (pair.one, pair.split))
    assert merged["counts"] == one["counts"]
    assert "shard" not in read(pair.split / REPORTS / "run-record.json")  # no one shard's split
    assert merged["pass_rate"] == one["pass_rate"]
    assert list(outcomes(pair.split).items()) == list(outcomes(pair.one).items())  # order too
    totals = [
        read(p / REPORTS / "coverage" / "coverage.json")["totals"] for p in (pair.one, pair.split)
    ]
    assert totals[0] == totals[1]  # every number, to the last digit
    assert impact_map(pair.split) == impact_map(pair.one) != {}
    assert gate_rows(pair.split) == gate_rows(pair.one)
    stability = [read(p / REPORTS / "stability.json") for p in (pair.one, pair.split)]
    assert [r["counts"] for r in stability[1]["runs"]] == [
        r["counts"] for r in stability[0]["runs"]
    ]
    assert stability[1]["tests"] == stability[0]["tests"]
    assert [r["company"] for r in stability[1]["runs"]] == [[2], [1]]  # side by side
    assert [r["company"] for r in stability[0]["runs"]] == [[], []]


def test_the_collection_error_is_reported_by_one_shard_and_once_after_combine(pair: Pair) -> None:
    shards = sorted((pair.split / REPORTS / "shards").iterdir())
    assert [s.name for s in shards] == ["1-of-3", "2-of-3", "3-of-3"]
    broken = "tests/test_broken_import.py"
    seen = [
        s.name for s in shards if any(t["nodeid"] == broken for t in read(s / "run.json")["tests"])
    ]
    assert len(seen) == 1
    assert [n for n in outcomes(pair.split) if n == broken] == [broken]
    merged = read(pair.split / REPORTS / "shards.json")
    assert [row["name"] for row in merged["shards"]] == ["1-of-3", "2-of-3", "3-of-3"]
    assert read(pair.split / REPORTS / "durations.json")["durations"].keys() == {
        n for n in outcomes(pair.one) if "::" in n
    }


def test_the_split_is_recorded_in_each_shard(pair: Pair) -> None:
    head = git(pair.split, "rev-parse", "HEAD").strip()
    shards = [load_shard(f) for f in sorted((pair.split / REPORTS / "shards").iterdir())]
    assert [(s["shard"], s["of"], s["commit"]) for s in shards] == [(k, 3, head) for k in (1, 2, 3)]
    assert sorted(t for s in shards for t in s["tests"]) == sorted(shards[0]["collected"])
    assert len({s["fingerprint"] for s in shards}) == 1


def test_a_shard_from_another_checkout_is_mapped_to_this_one(pair: Pair, tmp_path: Path) -> None:
    """A shard job that ran in another folder (another CI runner): its coverage, crash paths
    and impact are mapped to the combining checkout, and the verdict is unchanged."""
    here, there = tmp_path / "here", tmp_path / "elsewhere" / "checkout"
    shutil.copytree(pair.split, here)
    shutil.copytree(pair.split, there)
    for name in ("durations.json", "run.json"):  # a fresh runner: no durations at all
        (there / REPORTS / name).unlink()
    assert main(["--project", str(there), "validate", "--shard", "2/3", *OPTIONS]) == 1
    target = here / REPORTS / "shards" / "2-of-3"
    shutil.rmtree(target)
    shutil.copytree(there / REPORTS / "shards" / "2-of-3", target)
    assert load_shard(target)["project"] == str(there)
    assert main(["--project", str(here), "combine", *OPTIONS]) == 1
    tests = read(here / REPORTS / "run.json")["tests"]
    assert str(there) not in json.dumps(tests)  # crash paths and frames point here
    assert any(str(here) in (t["crash_path"] or "") for t in tests)
    totals = [read(p / REPORTS / "coverage" / "coverage.json")["totals"] for p in (pair.one, here)]
    assert totals[0] == totals[1]
    assert impact_map(here) == impact_map(pair.one)
    assert outcomes(here) == outcomes(pair.one)


def test_the_shard_artifacts_round_trip_through_their_schemas(pair: Pair) -> None:
    reports = pair.split / REPORTS
    files = {
        reports / "shards" / "1-of-3" / "shard.json": SHARD,
        reports / "durations.json": DURATIONS,
        reports / "shards.json": SHARDS,
        reports / "run.json": RUN,
        reports / "stability.json": STABILITY,
    }
    for path, kind in files.items():
        loaded: dict[str, Any] = dict(store.load(path, kind))
        for key in loaded:  # the schema is no looser than the file
            partial = {k: v for k, v in loaded.items() if k != key}
            with pytest.raises(PhaseError, match=f"missing key '{key}'"):
                store.from_json(kind, partial, path.name)


def snapshot(project: Path) -> dict[str, int]:
    """The reports folder outside shards/: what a refused combine must leave as it was."""
    root = project / REPORTS
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and "shards" not in p.relative_to(root).parts[:1]
    }


def refused(project: Path, capsys: pytest.CaptureFixture[str], *dirs: str) -> str:
    before = snapshot(project)
    capsys.readouterr()
    assert main(["--project", str(project), "combine", *OPTIONS, *dirs]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert snapshot(project) == before  # nothing merged, nothing half-written
    return err


@pytest.fixture
def copy(pair: Pair, tmp_path: Path) -> Path:
    target = tmp_path / "split"
    shutil.copytree(pair.split, target)
    return target


def test_a_missing_shard_is_refused(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(copy / REPORTS / "shards" / "2-of-3")
    err = refused(copy, capsys)
    assert (
        f"{copy / REPORTS / 'shards' / '2-of-3'}: shard 2/3 is missing (2 of 3 shards found)" in err
    )


def test_a_duplicated_shard_is_refused(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shards = copy / REPORTS / "shards"
    shutil.copytree(shards / "1-of-3", copy / "downloaded-twice")
    dirs = [str(shards / n) for n in ("1-of-3", "2-of-3", "3-of-3")] + [
        str(copy / "downloaded-twice")
    ]
    err = refused(copy, capsys, *dirs)
    assert f"{copy / 'downloaded-twice'}: shard 1/3 again (also in {shards / '1-of-3'})" in err


def test_a_shard_of_another_split_is_refused(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (0 or 1: its share, balanced by the durations.json the combine wrote, may all pass)
    assert main(["--project", str(copy), "validate", "--shard", "1/2", *OPTIONS]) in (0, 1)
    err = refused(copy, capsys)
    shards = copy / REPORTS / "shards"
    assert f"{shards / '1-of-3'}: shard 1 of 3, but 1-of-2 is of 2" in err


def test_a_shard_with_other_settings_is_refused(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", str(copy), "validate", "--shard", "2/3", "-q", "--runs", "1"]) in (
        0,
        1,
    )
    err = refused(copy, capsys)
    assert f"{copy / REPORTS / 'shards' / '2-of-3'}: ran with other settings" in err


def test_a_shard_split_by_other_durations_is_refused(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The combine left a durations.json: a shard job rerun now is balanced by it, the others
    # were not, so the two splits need not fit together.
    assert main(["--project", str(copy), "validate", "--shard", "2/3", *OPTIONS]) in (0, 1)
    err = refused(copy, capsys)
    durations = copy / REPORTS / "durations.json"
    assert (
        f"{copy / REPORTS / 'shards' / '2-of-3'}: was split by other durations ({durations}) "
        "than 1-of-3 (none); give every job the same file"
    ) in err


def test_a_shard_of_another_commit_is_refused(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git(copy, "rev-parse", "HEAD").strip()
    git(copy, "commit", "-q", "--allow-empty", "-m", "later")
    later = git(copy, "rev-parse", "HEAD").strip()
    assert main(["--project", str(copy), "validate", "--shard", "3/3", *OPTIONS]) in (0, 1)
    err = refused(copy, capsys)
    assert f"{copy / REPORTS / 'shards' / '3-of-3'}: ran {later}, but 1-of-3 ran {first}" in err


def test_a_bad_shard_argument_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "basic"
    shutil.copytree(FIXTURES / "basic", project)
    assert main(["--project", str(project), "run", "--shard", "4/3"]) == 2
    assert capsys.readouterr().err == (
        'phasegate: error: --shard "4/3": must have 1 <= K <= N (got K=4, N=3)\n'
    )
    assert main(["--project", str(project), "coverage", "--shard", "1/3"]) == 2
    assert "only run, stability and validate run a shard's tests" in capsys.readouterr().err
    assert main(["--project", str(project), "run", "--shard", "10/10"]) == 2
    assert capsys.readouterr().err == (
        'phasegate: error: --shard "10/10": the suite has 9 tests, too few for 10 shards; '
        "use at most 9\n"
    )


def test_a_flaky_test_found_in_its_shard_stays_flaky_after_combine(tmp_path: Path) -> None:
    project = tmp_path / "flaky"
    shutil.copytree(FIXTURES / "flaky", project)
    base = ["--project", str(project)]
    codes = [main([*base, "validate", "--shard", f"{k}/2", *OPTIONS[2:]]) for k in (1, 2)]
    shards = [load_shard(project / REPORTS / "shards" / f"{k}-of-2") for k in (1, 2)]
    flaky_test = "tests/test_flaky.py::test_fails_the_first_time"
    holder = next(s["shard"] for s in shards if flaky_test in s["tests"])
    assert codes[holder - 1] == 1  # its own flaky gate fails in its job
    assert main([*base, "combine", *OPTIONS[2:]]) == 1
    stability = read(project / REPORTS / "stability.json")
    assert [row["nodeid"] for row in stability["flaky"]] == [flaky_test]
    flaky_gate = next(
        g for g in read(project / REPORTS / "gates.json")["gates"] if g["name"] == "flaky tests"
    )
    assert (flaky_gate["status"], flaky_gate["actual"]) == ("fail", "1")


@pytest.mark.parametrize("n", [2, 7])
def test_each_shard_collects_exactly_its_share(pair: Pair, n: int, tmp_path: Path) -> None:
    """The plan phasegate writes, through its pytest command: each shard's process collects
    the whole suite and keeps its share of phasegate's own split, the module that fails to
    collect reported by exactly one (durations: one machine's run)."""
    config = load_config(pair.one)
    console = Console(quiet=True)
    durations = {t["nodeid"]: t["duration"] for t in read(pair.one / REPORTS / "run.json")["tests"]}
    seen: list[str] = []
    entries: list[str] = []
    for k in range(1, n + 1):
        plan: ShardPlanArtifact = {
            "shard": k,
            "of": n,
            "durations": durations,
            "durations_from": "",
        }
        store.write(tmp_path / f"{k}.plan", SHARD_PLAN, plan)
        inv = Invocation(
            label="collect",
            order=FILE,
            record=tmp_path / f"{k}.json",
            log=tmp_path / f"{k}.log",
            extra_args=("--collect-only",),
            echo=False,
        )
        sharded = dataclasses.replace(config, shard_plan=tmp_path / f"{k}.plan")
        result = run_pytest(sharded, Path(sys.executable), inv, console)
        assert result.record is not None
        entries = result.record["shard"]["collected"]
        group = split(entries, durations, n)[k - 1]
        assert result.record["shard"]["tests"] == group
        errors = [r["nodeid"] for r in result.record["reports"] if r["when"] == "collect"]
        assert result.record["order"] + errors == group
        seen += group
    assert sorted(seen) == sorted(entries)
    assert "tests/test_broken_import.py" in entries


def test_the_nox_sessions_run_shards_and_combine(tmp_path: Path) -> None:
    """`nox -s validate_phase -- --shard K/N` runs only the steps that run tests, into the
    shard's folder; `nox -s combine` gives the phase's verdict."""
    project = tmp_path / "quiet"
    shutil.copytree(FIXTURES / "quiet", project)
    (project / "noxfile.py").write_text("import tasks.sessions  # noqa: F401\n")

    def nox(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "nox", *args]
        return subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)

    for k in (1, 2):
        done = nox("-s", "validate_phase", "--", "--shard", f"{k}/2")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "step triage: not in a shard job; `nox -s combine` runs it" in done.stdout
    folder = project / REPORTS / "shards" / "1-of-2"
    assert {"run.json", "stability.json", "shard.json"} <= {p.name for p in folder.iterdir()}
    assert not (folder / "triage.json").exists()
    assert not (project / REPORTS / "run.json").exists()
    done = nox("-s", "combine")
    assert done.returncode == 0, done.stdout + done.stderr
    assert read(project / REPORTS / "gates.json")["passed"] is True


def test_run_then_stability_of_a_shard_keep_to_its_tests(tmp_path: Path) -> None:
    """The steps one at a time, as a CI job may chain them: `stability --shard` reuses the
    split `run --shard` recorded, and every run of it runs that shard's tests only."""
    project = tmp_path / "quiet"
    shutil.copytree(FIXTURES / "quiet", project)
    base = ["--project", str(project), "--shard", "2/2", "-q"]
    assert main(["run", *base]) == 0
    assert main(["stability", *base]) == 0
    folder = project / REPORTS / "shards" / "2-of-2"
    mine = load_shard(folder)["tests"]
    assert len(mine) == 2  # 4 tests, round-robin: the 2nd and the 4th
    stability = read(folder / "stability.json")
    assert [sum(r["counts"].values()) for r in stability["runs"]] == [2, 2]
    assert read(folder / "stability" / "run-2.json")["order"] == mine[::-1]  # runs = 2: reversed


def test_xdist_inside_shard_jobs_keeps_per_test_contexts(tmp_path: Path) -> None:
    """`pytest_args = ["-n", "2"]` in each shard job: the merged impact index is still per
    test, with every test that ran in it, as one machine's without xdist."""
    one, split_ = tmp_path / "one", tmp_path / "split"
    shutil.copytree(FIXTURES / "quiet", one)
    shutil.copytree(FIXTURES / "quiet", split_)
    assert main(["--project", str(one), "validate", *OPTIONS]) == 0
    xdist = ["--pytest-args", "-n 2"]
    assert run_shards(split_, 2, *xdist) == [0, 0]
    assert read(split_ / REPORTS / "shards" / "1-of-2" / "run-record.json")["xdist"] is True
    assert main(["--project", str(split_), "combine", *OPTIONS, *xdist]) == 0
    assert read(split_ / REPORTS / "impact.json")["per_test"] is True
    assert impact_map(split_) == impact_map(one) != {}
