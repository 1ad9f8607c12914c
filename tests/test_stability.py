from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Stabilised, commit_all, write_files

from tasks.config import load_config
from tasks.console import Console
from tasks.coverage.step import coverage_step
from tasks.run.step import run_step
from tasks.stability.facts import clean_run_bound, outcomes_by_test, plan_orders, what_runs_prove
from tasks.stability.step import stability_step
from tasks.stability.suspects import is_flaky
from tasks.triage.step import triage_step

Sample = Callable[[str], Path]
PYTHON = Path(sys.executable)
needs_xdist = pytest.mark.skipif(
    importlib.util.find_spec("xdist") is None,
    reason="needs pytest-xdist in this interpreter (pip install -e '.[test]')",
)


def test_counter_file_flake_is_found_and_gated(sample: Sample) -> None:
    project = sample("flaky")
    config = load_config(project, cli={"seed": "7"})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    [flaky] = data["flaky"]
    assert flaky["nodeid"] == "tests/test_flaky.py::test_fails_the_first_time"
    assert flaky["outcomes"] == ["failed", "passed", "passed"]
    assert flaky["k_of_n"] == "passed 2 of 3"
    # Alone it passes every time (the counter is past 1): the failure does not reproduce.
    assert flaky["kind"] == "non-deterministic"
    assert flaky["alone"] == ["passed", "passed", "passed"]
    assert [r["pass_rate"] for r in data["runs"]] == [50.0, 100.0, 100.0]
    assert [(r["order"], r["seed"]) for r in data["runs"]] == [
        ("file", None),
        ("reverse", None),
        ("shuffle", 7),
    ]
    gates = {g["name"]: g["status"] for g in data["gates"]}
    assert gates["flaky tests"] == "fail"
    assert gates["pass rate, run 1 (file)"] == "fail"
    assert gates["pass rate, run 2 (reverse)"] == "pass"


def test_the_run_step_counts_as_run_one(sample: Sample) -> None:
    project = sample("quiet")  # runs = 2
    config = load_config(project)
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    assert len(data["runs"]) == 2
    extra = sorted(p.name for p in (project / ".phasegate/reports/stability").glob("*.json"))
    assert extra == ["run-2.json"]  # one pytest process beyond the run step


def test_reverse_run_really_runs_in_reverse(sample: Sample) -> None:
    project = sample("quiet")
    config = load_config(project)
    run_step(config, PYTHON, Console(quiet=True))
    stability_step(config, PYTHON, Console(quiet=True))
    reports = project / ".phasegate/reports"
    first = json.loads((reports / "run-record.json").read_text())["order"]
    second = json.loads((reports / "stability/run-2.json").read_text())["order"]
    assert second == first[::-1]


def test_replay_command_names_order_and_seed(sample: Sample) -> None:
    project = sample("quiet")
    config = load_config(project, cli={"orders": "shuffle", "seed": "42"})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    assert "PHASEGATE_ORDER=shuffle:42 " in data["runs"][1]["replay"]


def test_stability_without_a_run_says_which_step_first(sample: Sample) -> None:
    project = sample("quiet")
    with pytest.raises(Exception, match=r"run.json not found: run `phasegate run`"):
        stability_step(load_config(project), PYTHON, Console(quiet=True))


@pytest.mark.parametrize(
    ("runs", "orders", "expected"),
    [
        (1, "reverse shuffle", ["file"]),
        (3, "reverse shuffle", ["file", "reverse", "shuffle:10"]),
        # past the end of the list, every run is a new shuffle
        (5, "reverse", ["file", "reverse", "shuffle:10", "shuffle:11", "shuffle:12"]),
        (3, "file", ["file", "file", "shuffle:10"]),
    ],
)
def test_plan_orders(tmp_path: Path, runs: int, orders: str, expected: list[str]) -> None:
    config = load_config(tmp_path, cli={"runs": str(runs), "orders": orders}, env={})
    assert [str(order) for order in plan_orders(config, seed=10)] == expected


@pytest.mark.parametrize(
    ("outcomes", "flaky"),
    [
        (["passed", "passed", "passed"], False),
        (["failed", "failed", "failed"], False),
        (["failed", "passed", "passed"], True),
        (["passed", "error", "passed"], True),
        (["xfailed", "xpassed", "xfailed"], True),
        (["passed", None, "passed"], False),  # missing from one run says nothing
    ],
)
def test_is_flaky(outcomes: list[str | None], flaky: bool) -> None:
    assert is_flaky(outcomes) is flaky


def test_outcomes_by_test_keeps_tests_missing_from_a_run() -> None:
    matrix = outcomes_by_test([{"a": "passed"}, {"a": "failed", "b": "passed"}])
    assert matrix == {"a": ["passed", "failed"], "b": [None, "passed"]}


def test_what_clean_runs_prove() -> None:
    assert clean_run_bound(3) == pytest.approx(63.16, abs=0.01)
    assert what_runs_prove(3).startswith(
        "3 clean runs bound a test's failure rate below 64% at 95% confidence"
    )


def test_reruns_find_the_polluter_the_state_setter_and_the_real_failure(
    polluted: Stabilised,
) -> None:
    project, data = polluted.project, polluted.stability
    suspects = data["suspects"]
    victim = suspects["tests/test_b_victim.py::test_mode_is_ok"]
    assert (victim["kind"], victim["culprit_role"], victim["culprit"]) == (
        "order-dependent",
        "polluter",
        "tests/test_a_setup.py::test_switches_mode",
    )
    assert victim["alone"] == ["passed"] * 3
    assert victim["in_order"] == ["failed"]
    brittle = suspects["tests/test_c_brittle.py::test_plugin_is_registered"]
    assert (brittle["kind"], brittle["culprit_role"], brittle["culprit"]) == (
        "order-dependent",
        "state-setter",
        "tests/test_a_setup.py::test_registers_a_plugin",
    )
    broken = suspects["tests/test_d_broken.py::test_always_fails"]
    # It failed in both full runs: one rerun with the other such suspects settles it.
    assert (broken["kind"], broken["in_order"], broken["reruns"]) == ("consistent", ["failed"], 1)
    assert broken["full_k_of_n"] == "passed 0 of 2"

    flaky = {f["nodeid"]: f for f in data["flaky"]}
    assert set(flaky) == {
        "tests/test_b_victim.py::test_mode_is_ok",
        "tests/test_c_brittle.py::test_plugin_is_registered",
    }
    # The printed two-test command really reproduces the failure, polluter first.
    repro = flaky["tests/test_b_victim.py::test_mode_is_ok"]["repro"]
    assert repro.endswith(
        "tests/test_a_setup.py::test_switches_mode tests/test_b_victim.py::test_mode_is_ok"
    )
    argv = shlex.split(repro)
    argv[0] = sys.executable
    done = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "1 failed, 1 passed" in done.stdout


def test_reruns_stop_when_the_budget_is_spent(sample: Sample) -> None:
    project = sample("polluted")
    config = load_config(project, cli={"rerun_budget": "0.001"})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    kinds = {s["kind"] for s in data["suspects"].values()}
    # At most the first rerun starts inside the budget; nothing starts after it.
    assert kinds == {"unresolved"}
    assert sum(s["reruns"] for s in data["suspects"].values()) <= 1
    # A test with mixed outcomes across the full runs stays flaky even unclassified.
    assert "tests/test_b_victim.py::test_mode_is_ok" in {f["nodeid"] for f in data["flaky"]}


def test_a_zero_budget_means_no_reruns(sample: Sample) -> None:
    project = sample("polluted")
    config = load_config(project, cli={"rerun_budget": "0"})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    assert data["suspects"] == {}
    assert not (project / ".phasegate/reports/stability/reruns").exists()
    assert {f["kind"] for f in data["flaky"]} == {"mixed outcomes"}


@needs_xdist
def test_results_stay_right_under_pytest_xdist(sample: Sample) -> None:
    project = sample("polluted")
    # One worker keeps the order deterministic while every report comes through xdist.
    config = load_config(project, cli={"pytest_args": "-n 1"})
    run = run_step(config, PYTHON, Console(quiet=True))
    record = json.loads((project / ".phasegate/reports/run-record.json").read_text())
    assert record["xdist"] is True
    assert record["order"] == []  # the controller collects nothing
    assert run["counts"]["passed"] == 6
    assert run["counts"]["failed"] == 2
    data = stability_step(config, PYTHON, Console(quiet=True))
    victim = data["suspects"]["tests/test_b_victim.py::test_mode_is_ok"]
    assert (victim["kind"], victim["culprit"]) == (
        "order-dependent",
        "tests/test_a_setup.py::test_switches_mode",
    )
    flaky = {f["nodeid"]: f for f in data["flaky"]}
    assert " -n0 " in flaky["tests/test_b_victim.py::test_mode_is_ok"]["repro"]


@needs_xdist
def test_counts_under_xdist_match_plain_pytest(sample: Sample) -> None:
    project = sample("flaky")
    config = load_config(project, cli={"pytest_args": "-n 2", "seed": "3", "rerun_budget": "0"})
    run = run_step(config, PYTHON, Console(quiet=True))
    assert (run["counts"]["passed"], run["counts"]["failed"]) == (1, 1)
    data = stability_step(config, PYTHON, Console(quiet=True))
    assert [f["nodeid"] for f in data["flaky"]] == [
        "tests/test_flaky.py::test_fails_the_first_time"
    ]
    assert [r["pass_rate"] for r in data["runs"]] == [50.0, 100.0, 100.0]


def test_reruns_and_repro_commands_work_when_pytest_config_is_in_a_subfolder(
    tmp_path: Path,
) -> None:
    # pytest's rootdir is backend/, so its node ids are relative to backend/, not the project.
    project = write_files(
        tmp_path / "mono",
        {
            "pyproject.toml": """
                [tool.phasegate]
                venv = "none"
                runs = 2
                tests = ["backend/tests"]
                pythonpath = ["backend"]
            """,
            "backend/pytest.ini": "[pytest]\n",
            "backend/app/__init__.py": "def double(x):\n    return 2 * x\n",
            "backend/tests/test_app.py": """
                from app import double


                def test_double():
                    assert double(2) == 4
            """,
        },
    )
    base = commit_all(project, "app")
    test_file = project / "backend/tests/test_app.py"
    test_file.write_text(test_file.read_text().replace("== 4", "== 5"))  # a test bug
    commit_all(project, "phase")
    config = load_config(project, cli={"base_ref": base})
    run = run_step(config, PYTHON, Console(quiet=True))
    assert Path(run["rootdir"]) == project / "backend"
    data = stability_step(config, PYTHON, Console(quiet=True))
    suspect = data["suspects"]["tests/test_app.py::test_double"]
    assert (suspect["kind"], suspect["in_order"]) == ("consistent", ["failed"])  # the batch
    triage = triage_step(config, PYTHON, Console(quiet=True))
    [failure] = triage["failures"]
    # git evidence finds the test file under backend/: the test changed, the code did not.
    assert failure["category"] == "test"
    assert failure["reason"].startswith("the test changed since the base;")
    assert coverage_step(config, PYTHON, Console(quiet=True))["history_entry"]["tests_created"] == 0
    assert failure["repro"].startswith("PYTHONPATH=backend python -m pytest")
    assert failure["repro"].endswith(" backend/tests/test_app.py::test_double")
    argv = shlex.split(failure["repro"])[1:]  # the shell would set PYTHONPATH=backend
    env = {**os.environ, "PYTHONPATH": "backend"}
    done = subprocess.run(
        [sys.executable, *argv[1:]], cwd=project, env=env, capture_output=True, text=True
    )
    assert "1 failed" in done.stdout


def test_a_module_that_fails_to_collect_fails_the_phase_whatever_the_pass_rate(
    tmp_path: Path,
) -> None:
    # 100 passing tests and one module that cannot import: the pass rate (100 of 101) is above
    # min_pass_rate, but the broken module's tests never ran, so the phase cannot pass.
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.phasegate]\nvenv = "none"\nruns = 1\nmin_pass_rate = 98\n',
            "pkg/__init__.py": "",
            "tests/test_ok.py": """
                import pytest


                @pytest.mark.parametrize("n", range(100))
                def test_ok(n):
                    assert n >= 0
            """,
            "tests/test_needs_extra.py": """
                import not_installed_module_qq


                def test_hidden():
                    pass
            """,
        },
    )
    config = load_config(project, cli={}, env={})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    gates = {g["name"]: g for g in data["gates"]}
    assert gates["pass rate, run 1 (file)"]["status"] == "pass"
    assert gates["collection"] == {
        "name": "collection",
        "target": "every test module collected",
        "actual": "1 module not collected",
        "status": "fail",
        "detail": "tests/test_needs_extra.py: ModuleNotFoundError: No module named "
        "'not_installed_module_qq'; their tests never ran",
    }


def test_reruns_delete_only_their_own_files(sample: Sample) -> None:
    # reports_dir may be a folder of the project's own: a file it keeps where the reruns go
    # survives them.
    project = sample("flaky")
    notes = project / "docs/stability/reruns/NOTES.md"
    notes.parent.mkdir(parents=True)
    notes.write_text("kept\n")
    config = load_config(project, cli={"reports_dir": "docs"}, env={})
    run_step(config, PYTHON, Console(quiet=True))
    data = stability_step(config, PYTHON, Console(quiet=True))
    assert data["suspects"]  # the reruns ran
    assert list(notes.parent.glob("rerun-*.log"))
    assert notes.read_text() == "kept\n"
