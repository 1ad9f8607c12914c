from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import write_files

from tasks.artifacts.history import load_history
from tasks.config import load_config
from tasks.console import Console
from tasks.coverage.rules import (
    diff_coverage,
    diff_gate,
    floor_gates,
    glob_floor_gates,
    increase_gate,
    precision_of,
    set_floor_gate,
    target_gate,
)
from tasks.coverage.step import coverage_step
from tasks.run.step import run_step

Sample = Callable[[str], Path]
PYTHON = Path(sys.executable)


def coverage_total(project: Path, data_file: Path, *args: str) -> str:
    """coverage.py's own total of a data file (`coverage report --format=total`), with `%`."""
    command = ["coverage", "report", "--format=total", *args, f"--data-file={data_file}"]
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=project, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() + "%"


@pytest.mark.parametrize(
    ("total", "target", "precision", "status"),
    [
        # coverage.py's own fail_under table: the gate agrees with what the report shows
        (69.66, 70, 0, "pass"),  # shown as "70%"
        (69.4, 70, 0, "fail"),  # shown as "69%"
        (69.66, 70, 2, "fail"),  # shown as "69.66%"
        (70.0, 70, 2, "pass"),
        (99.999, 100, 2, "fail"),  # 100 means 100
        (100.0, 100, 0, "pass"),
        (69.99, 69.99, 2, "pass"),
        (69.987, 69.99, 1, "pass"),  # a target with more decimals implies more precision
        (0.0, 0, 0, "pass"),
    ],
)
def test_target_gate_rounds_like_coverage(
    total: float, target: float, precision: int, status: str
) -> None:
    assert target_gate("t", total, target, precision, "total").status == status


def test_target_not_set_is_not_applicable() -> None:
    gate = target_gate("coverage target", 50.0, None, 0, "total")
    assert (gate.status, gate.target) == ("n/a", "not set")


@pytest.mark.parametrize(
    ("increase", "minimum", "status"),
    [
        (-0.004, 0.0, "pass"),  # "decreased by 0.00" never fails
        (-0.006, 0.0, "fail"),
        (2.0, 2.0, "pass"),
        (1.996, 2.0, "pass"),
        (1.99, 2.0, "fail"),
        (None, 1.0, "fail"),  # no baseline: fail closed
        (5.0, None, "n/a"),
    ],
)
def test_increase_gate(increase: float | None, minimum: float | None, status: str) -> None:
    assert increase_gate(increase, minimum, "phase 01").status == status


@pytest.mark.parametrize(("display", "precision"), [("70", 0), ("69.66", 2), ("100.0", 1)])
def test_precision_is_read_from_coverages_display(display: str, precision: int) -> None:
    assert precision_of(display) == precision


def test_file_floors() -> None:
    rows = [
        {"file": "pkg/a.py", "percent": 95.0, "display": "95"},
        {"file": "pkg/b.py", "percent": 60.0, "display": "60"},
        {"file": "other/c.py", "percent": 10.0, "display": "10"},
    ]
    [gate] = floor_gates(rows, 80.0, ["pkg/*"], 0)
    assert (gate.status, gate.actual) == ("fail", "1/2 meet it")
    assert gate.detail == "below the floor: pkg/b.py 60%"
    [gate] = floor_gates(rows, 80.0, ["pkg/a.py"], 0)
    assert gate.status == "pass"
    [gate] = floor_gates(rows, 80.0, ["nothing/*"], 0)
    assert (gate.status, gate.detail) == ("fail", "no measured file matches files = ['nothing/*']")
    assert floor_gates(rows, None, [], 0) == []


def test_each_glob_has_its_own_floor() -> None:
    rows = [
        {"file": "pkg/core/a.py", "percent": 89.5, "display": "90"},
        {"file": "pkg/core/b.py", "percent": 95.0, "display": "95"},
        {"file": "pkg/cli/c.py", "percent": 59.4, "display": "59"},
    ]
    core, cli, typo = glob_floor_gates(
        rows, {"pkg/core/*": 90, "pkg/cli/*": 60, "pkg/clj/*": 50}, 0
    )
    # 89.5 shows as "90" at precision 0, so it meets a 90 floor: coverage.py's rounding.
    assert (core.name, core.status, core.actual) == (
        "file floor pkg/core/* (2 files)",
        "pass",
        "2/2 meet it",
    )
    assert (cli.status, cli.detail) == ("fail", "below the floor: pkg/cli/c.py 59%")
    assert (typo.status, typo.detail) == (
        "fail",
        "no measured file matches 'pkg/clj/*' in file_floors",
    )


def test_floors_over_worked_out_sets() -> None:
    rows = [{"file": "a.py", "percent": 50.0, "display": "50"}]
    assert set_floor_gate("new files", rows, ["a.py"], None, 0, "?", "-") is None
    gate = set_floor_gate("new files", rows, None, 80, 0, "no base commit", "-")
    assert gate is not None and (gate.status, gate.detail) == ("fail", "no base commit")
    gate = set_floor_gate("new files", rows, [], 80, 0, "?", "no file was added")
    assert gate is not None and (gate.status, gate.detail) == ("n/a", "no file was added")
    gate = set_floor_gate("new files", rows, ["a.py"], 80, 0, "?", "-")
    assert gate is not None and (gate.status, gate.actual) == ("fail", "0/1 meet it")


REPORT = {
    "pkg/a.py": {"executed_lines": [1, 2, 3, 5], "missing_lines": [6, 7]},
    "pkg/new.py": {"executed_lines": [1], "missing_lines": [2, 3]},
}


def test_diff_coverage_counts_changed_statements_only() -> None:
    # line 4 of a.py is a comment or blank: not a statement, so not coverable.
    diff = diff_coverage(REPORT, {"pkg/a.py": {3, 4, 6}, "pkg/new.py": None})
    assert (diff["covered"], diff["coverable"]) == (2, 5)  # a.py 3 of 3,6; new.py 1 of 1,2,3
    assert diff["files"][0] == {
        "file": "pkg/a.py",
        "covered": 1,
        "coverable": 2,
        "missed_lines": [6],
    }
    gate = diff_gate(diff, 40, 0)
    assert (gate.status, gate.actual) == ("pass", "40% (2/5 lines)")
    gate = diff_gate(diff, 41, 0)
    assert gate.status == "fail"
    assert gate.detail == "changed lines no test executes: pkg/new.py lines 2, 3; pkg/a.py lines 6"


def test_no_coverable_changed_line_is_not_applicable_never_100() -> None:
    diff = diff_coverage(REPORT, {"pkg/a.py": {4}, "scripts/tool.py": {1, 2}, "README.md": {1}})
    assert diff["percent"] is None
    assert diff["unmeasured"] == ["scripts/tool.py"]
    gate = diff_gate(diff, 80, 0)
    assert (gate.status, gate.actual) == ("n/a", "no coverable changed lines")
    assert "changed Python files coverage did not measure: scripts/tool.py" in gate.detail


def test_diff_gate_without_a_base_fails_closed_when_set() -> None:
    assert diff_gate(None, 80, 0).status == "fail"
    assert diff_gate(None, None, 0).status == "n/a"


def test_total_equals_coverage_reports_own(sample: Sample) -> None:
    project = sample("basic")
    config = load_config(project, cli={"coverage_target": "80"})
    run_step(config, PYTHON, Console(quiet=True))
    data = coverage_step(config, PYTHON, Console(quiet=True))
    reports = project / ".phasegate/reports/coverage"
    total = coverage_total(project, reports / ".coverage")
    assert data["display"] == total
    gate = next(g for g in data["gates"] if g["name"] == "coverage target")
    assert (gate["actual"], gate["status"]) == ("62%", "fail")  # unused() never runs: 5 of 8
    assert (
        json.loads((reports / "coverage.json").read_text())["totals"]["percent_covered"]
        == data["total"]
    )


def test_history_rerun_replaces_the_phase(sample: Sample) -> None:
    project = sample("quiet")
    config = load_config(project)
    for _ in range(2):
        run_step(config, PYTHON, Console(quiet=True))
        coverage_step(config, PYTHON, Console(quiet=True))
    history = load_history(project / ".phasegate/trending.json")
    assert [h["phase"] for h in history] == ["current"]
    assert history[0]["tests_total"] == 4
    assert history[0]["core"] == "ctrace"


def test_increase_over_the_previous_phase(sample: Sample) -> None:
    project = sample("quiet")
    trending = project / ".phasegate/trending.json"
    trending.parent.mkdir(parents=True)
    trending.write_text(
        json.dumps(
            {
                "format": 1,
                "phases": [
                    {"phase": "00-start", "coverage": 99.0, "core": "ctrace", "branch": False}
                ],
            }
        )
    )
    config = load_config(project, cli={"phase": "01-next", "min_increase": "0"})
    run_step(config, PYTHON, Console(quiet=True))
    data = coverage_step(config, PYTHON, Console(quiet=True))
    assert data["baseline_note"] == "phase 00-start"
    assert data["increase"] == pytest.approx(1.0)
    assert [h["phase"] for h in load_history(trending)] == ["00-start", "01-next"]
    assert data["warnings"] == []
    entry = load_history(trending)[-1]
    assert (entry["core"], entry["branch"], entry["python"]) == (
        "ctrace",
        False,
        sys.version.split()[0],
    )


@pytest.mark.parametrize(("core", "branch"), [("sysmon", False), ("ctrace", True)])
def test_a_change_of_core_or_branch_mode_warns(sample: Sample, core: str, branch: bool) -> None:
    project = sample("quiet")
    trending = project / ".phasegate/trending.json"
    trending.parent.mkdir(parents=True)
    old = {"phase": "00-start", "coverage": 50.0, "core": core, "branch": branch}
    trending.write_text(json.dumps({"format": 1, "phases": [old]}))
    config = load_config(project, cli={"phase": "01-next"})
    run_step(config, PYTHON, Console(quiet=True))
    data = coverage_step(config, PYTHON, Console(quiet=True))
    [warning] = data["warnings"]
    assert warning.startswith(f"phase 00-start was measured with core={core}, branch={branch};")
    assert warning.endswith("the increase compares different measurements")


def test_empty_coverage_data_fails_closed(sample: Sample) -> None:
    project = sample("quiet")
    (project / "elsewhere").mkdir()
    (project / "elsewhere/__init__.py").write_text("")
    config = load_config(project, cli={"source": "elsewhere"})
    run_step(config, PYTHON, Console(quiet=True))
    data = coverage_step(config, PYTHON, Console(quiet=True))
    statuses = {g["name"]: g["status"] for g in data["gates"]}
    assert statuses["coverage data"] == "fail"
    # Nothing measured never enters the history as 0%, where the next phase's increase gate
    # would pass trivially.
    assert load_history(config.trending) == []


def test_test_files_the_projects_config_measures_stay_out_of_the_total(tmp_path: Path) -> None:
    # The project's own config measures its tests too; phasegate keeps that config but its
    # total and gates are production code only, equal to coverage.py's own total with the
    # tests omitted, and it says so.
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [tool.coverage.run]
                source = ["mylib", "tests"]
                [tool.phasegate]
                venv = "none"
            """,
            "mylib/__init__.py": "def one():\n    return 1\n\n\ndef two():\n    return 2\n",
            "tests/test_one.py": "from mylib import one\n\n\ndef test_one():\n    assert one()\n",
        },
    )
    config = load_config(project, env={})
    run_step(config, PYTHON, Console(quiet=True))
    data = coverage_step(config, PYTHON, Console(quiet=True))
    total = coverage_total(project, config.reports_dir / "coverage/.coverage", "--omit=tests/*")
    assert data["display"] == total == "75%"  # 86% with the test file
    assert [f["file"] for f in data["files"]] == ["mylib/__init__.py"]
    assert data["warnings"][-1].startswith(
        "the project's coverage config also measures 1 test file(s) (tests/test_one.py)"
    )


@pytest.mark.parametrize("parallel", [False, True])
def test_a_package_pytest_imports_before_any_test_is_measured_from_its_first_line(
    tmp_path: Path, parallel: bool
) -> None:
    # mylib is a pytest plugin of the project's own (-p mylib.plugin), so pytest imports it
    # while it starts, as it imports pluggy or iniconfig: its module-level lines run before
    # pytest-cov could start coverage. The total must equal `coverage run -m pytest`'s.
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [tool.pytest.ini_options]
                addopts = ["-p", "mylib.plugin"]
                [tool.phasegate]
                venv = "none"
                source = ["mylib"]
            """,
            # The project's own config may ask for one data file per process (pluggy does).
            ".coveragerc": "[run]\nparallel = true\n" if parallel else "[run]\n",
            "mylib/__init__.py": "SCALE = 2\n\n\ndef double(x):\n    return SCALE * x\n",
            "mylib/plugin.py": "import mylib\n\nMARK = 'mylib'\n",
            "tests/test_double.py": "from mylib import double\n\n\ndef test_double():\n"
            "    assert double(2) == 4\n",
        },
    )
    config = load_config(project, env={})
    run_step(config, PYTHON, Console(quiet=True))
    data = coverage_step(config, PYTHON, Console(quiet=True))
    own = tmp_path / "own.coverage"
    plain = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--data-file={own}", "--source=mylib", *plain],
        cwd=project,
        capture_output=True,
        check=True,
    )
    if parallel:
        subprocess.run(
            [sys.executable, "-m", "coverage", "combine", f"--data-file={own}"],
            cwd=project,
            capture_output=True,
            check=True,
        )
    total = coverage_total(project, own)
    assert data["display"] == total == "100%"
    # Per-test contexts still name the test that ran each line.
    assert data["warnings"] == []
    assert data["impact_index"] is not None
