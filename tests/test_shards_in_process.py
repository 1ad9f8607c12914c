"""A shard job splits the suite inside each of its pytest processes (no collection of its
own): a module that fails to collect fails only the shard it falls to; every full run of the
job must split alike; reruns run their tests and never split."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from tasks.artifacts.shard import load_shard
from tasks.cli import main
from tasks.config import load_config
from tasks.orders import FILE, Order
from tasks.pytest_command import Invocation, build

pytestmark = pytest.mark.xdist_group("shards")
REPORTS = Path(".phasegate") / "reports"
BROKEN = "tests/test_broken.py"


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sample(tmp_path: Path, name: str) -> Path:
    project = tmp_path / name
    shutil.copytree(FIXTURES / name, project)
    return project


def test_a_module_that_fails_to_collect_fails_only_its_own_shard(tmp_path: Path) -> None:
    """4 passing tests and a broken module, no durations: round-robin over the 5 entries
    (the broken module last) puts it in shard 1; shard 2 passes, its junit.xml clean."""
    project = sample(tmp_path, "quiet")
    (project / BROKEN).write_text("import phasegate_no_such_module\n", encoding="utf-8")
    base = ["--project", str(project), "run", "-q"]
    assert [main([*base, "--shard", f"{k}/2"]) for k in (1, 2)] == [1, 0]
    folders = [project / REPORTS / "shards" / f"{k}-of-2" for k in (1, 2)]
    shards = [load_shard(f) for f in folders]
    assert [BROKEN in s["tests"] for s in shards] == [True, False]
    assert shards[0]["collected"] == shards[1]["collected"]
    runs = [read(f / "run.json") for f in folders]
    assert [t["nodeid"] for t in runs[0]["tests"] if t["when"] == "collect"] == [BROKEN]
    assert [t["when"] for t in runs[1]["tests"]] == ["call", "call"]
    assert [r["counts"].get("error", 0) for r in runs] == [1, 0]
    assert [r["exit_code"] for r in runs] == [1, 0]  # pytest's own exit code agrees
    junit = [(f / "junit.xml").read_text(encoding="utf-8") for f in folders]
    assert ["test_broken" in text for text in junit] == [True, False]


def test_a_stability_run_that_collects_other_tests_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module whose tests change with every collection: the second run of the job would
    split another suite, so the job stops with one line naming that run."""
    project = sample(tmp_path, "quiet")
    (project / "tests" / "test_grows.py").write_text(
        "import pathlib\n\nimport pytest\n\n"
        "COUNT = pathlib.Path(__file__).with_name('grows.txt')\n"
        "N = int(COUNT.read_text()) if COUNT.exists() else 0\n"
        "COUNT.write_text(str(N + 1))\n\n\n"
        "@pytest.mark.parametrize('i', range(N + 1))\n"
        "def test_grows(i):\n    pass\n",
        encoding="utf-8",
    )
    base = ["--project", str(project), "--shard", "1/2", "-q", "--rerun-budget", "0"]
    assert main(["run", *base]) == 0
    capsys.readouterr()
    assert main(["stability", *base, "--runs", "2"]) == 2
    err = capsys.readouterr().err.strip()
    log = project / REPORTS / "shards" / "1-of-2" / "stability" / "run-2.log"
    assert err == (
        f"phasegate: error: stability run 2 (log: {log}): collected other tests than the run "
        "step (6 vs 5), so its share of shard 1/2 differs; make the collection deterministic "
        "(no random parameters), then rerun the job"
    )
    assert not (project / REPORTS / "shards" / "1-of-2" / "stability.json").exists()


def test_only_full_runs_split_the_suite(tmp_path: Path) -> None:
    """A rerun (its ids from a file) runs exactly those tests: it gets no plan to split by."""
    config = load_config(sample(tmp_path, "quiet"))
    config = dataclasses.replace(config, shard_plan=tmp_path / "plan.json")
    full = Invocation(label="run", order=FILE, record=tmp_path / "r.json", log=tmp_path / "r.log")
    rerun = Invocation(
        label="rerun", order=Order.parse("ids:" + str(tmp_path / "ids.txt")),
        record=tmp_path / "x.json", log=tmp_path / "x.log",
    )  # fmt: skip
    assert build(config, Path("python"), full)[1]["PHASEGATE_SHARD_PLAN"] == str(
        tmp_path / "plan.json"
    )
    assert "PHASEGATE_SHARD_PLAN" not in build(config, Path("python"), rerun)[1]


def test_a_suspect_in_a_shard_is_rerun_with_its_own_test(tmp_path: Path) -> None:
    """A test that fails the first time, in a one-run job: its rerun (ids order, no split)
    runs it and passes, so its shard finds it flaky."""
    project = sample(tmp_path, "flaky")
    base = ["--project", str(project), "validate", "-q", "--runs", "1", "--rerun-budget", "60"]
    codes = [main([*base, "--shard", f"{k}/2"]) for k in (1, 2)]
    flaky = "tests/test_flaky.py::test_fails_the_first_time"
    folders = [project / REPORTS / "shards" / f"{k}-of-2" for k in (1, 2)]
    holder = next(f for f in folders if flaky in load_shard(f)["tests"])
    assert [row["nodeid"] for row in read(holder / "stability.json")["flaky"]] == [flaky]
    assert codes[folders.index(holder)] == 1


def test_a_shard_whose_process_dies_still_records_its_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies inside a test, before its record: the journal gives the split."""
    project = sample(tmp_path, "stuck")
    monkeypatch.setenv("STUCK", "segv")
    assert main(["--project", str(project), "run", "-q", "--shard", "1/1"]) == 1
    folder = project / REPORTS / "shards" / "1-of-1"
    assert "test_stuck" in read(folder / "run.json")["tests"][1]["nodeid"]  # named as the error
    shard = load_shard(folder)
    assert shard["tests"] == shard["collected"]
    assert "tests/test_stuck.py::test_stuck" in shard["tests"]
