"""The run step against real pytest runs of the sample projects."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _pytest.pytester import RunResult

from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.config import load_config
from tasks.console import Console
from tasks.errors import NoTestsError
from tasks.run.step import run_step

Sample = Callable[[str], Path]
PYTHON = Path(sys.executable)


def pytest_own_counts(project: Path, *args: str) -> dict[str, int]:
    """What a plain pytest run reports, parsed by pytest's own summary-line parser."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    nouns = RunResult.parse_summary_nouns(done.stdout.splitlines())
    return {("error" if k == "errors" else k): v for k, v in nouns.items() if k != "warnings"}


def reports_of(project: Path) -> Path:
    """The reports folder, once the background coverage reports are written."""
    reports = project / ".phasegate/reports"
    assert wait_for_reports(Artifacts(reports), project) is None
    return reports


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def test_counts_equal_pytests_own(sample: Sample) -> None:
    project = sample("basic")
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    # --continue-on-collection-errors: the broken module must not hide the rest.
    expected = pytest_own_counts(project, "--continue-on-collection-errors", "tests")
    assert nonzero(data["counts"]) == expected
    assert expected == {
        "passed": 2,
        "failed": 2,
        "error": 2,
        "skipped": 1,
        "xfailed": 1,
        "xpassed": 1,
    }


def test_every_outcome_is_recorded_per_test(sample: Sample) -> None:
    project = sample("basic")
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    outcomes = {t["nodeid"]: (t["outcome"], t["when"]) for t in data["tests"]}
    assert outcomes == {
        "tests/test_broken_import.py": ("error", "collect"),
        "tests/test_calc.py::test_add": ("passed", "call"),
        "tests/test_calc.py::test_add_wrong": ("failed", "call"),
        "tests/test_calc.py::test_div_zero": ("failed", "call"),
        "tests/test_calc.py::test_uses_broken": ("error", "setup"),
        "tests/test_calc.py::test_skipped": ("skipped", "setup"),
        "tests/test_calc.py::test_xfail": ("xfailed", "call"),
        "tests/test_calc.py::test_xpass": ("xpassed", "call"),
        "tests/test_more.py::test_after_the_broken_module": ("passed", "call"),
    }
    failing = {t["nodeid"]: t for t in data["tests"]}["tests/test_calc.py::test_div_zero"]
    assert failing["crash_path"] == str(project / "calc/__init__.py")
    assert failing["crash_lineno"] == 6
    assert failing["message"] == "ZeroDivisionError: division by zero"
    assert "def div(a, b):" in failing["longrepr"]


def test_errors_count_against_the_pass_rate(sample: Sample) -> None:
    data = run_step(load_config(sample("basic")), PYTHON, Console(quiet=True))
    # passed / (passed + failed + errors); skips, xfails and xpasses are left out.
    assert data["pass_rate"] == pytest.approx(100 * 2 / 6)


def test_quiet_output_still_counts_every_pass(sample: Sample) -> None:
    project = sample("quiet")
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    log = (project / ".phasegate/reports/run.log").read_text()
    assert "PASSED" not in log  # the grep of the manual procedure would count 0 of 0
    assert nonzero(data["counts"]) == {"passed": 4}
    assert data["pass_rate"] == 100.0


def test_artifacts_are_written(sample: Sample) -> None:
    project = sample("quiet")
    run_step(load_config(project), PYTHON, Console(quiet=True))
    reports = reports_of(project)
    junit = (reports / "junit.xml").read_text()
    assert 'tests="4"' in junit
    assert (reports / "run.log").read_text().startswith("$ cd ")
    assert (reports / "coverage/coverage.json").is_file()
    assert (reports / "coverage/html/index.html").is_file()
    assert '"format": 2' in (reports / "run.json").read_text()


def test_zero_tests_is_a_usage_error_naming_the_paths(sample: Sample) -> None:
    project = sample("empty")
    with pytest.raises(NoTestsError) as caught:
        run_step(load_config(project), PYTHON, Console(quiet=True))
    assert str(caught.value) == (
        "no tests collected from tests = [tests] in [tool.phasegate] (0 deselected); "
        "point `tests` at the test folders"
    )
    assert caught.value.exit_code == 2


def test_all_skipped_has_no_pass_rate(sample: Sample) -> None:
    data = run_step(load_config(sample("allskipped")), PYTHON, Console(quiet=True))
    assert nonzero(data["counts"]) == {"skipped": 2}
    assert data["pass_rate"] is None  # never 0/0


def test_monorepo_with_code_under_backend(sample: Sample) -> None:
    project = sample("monorepo")
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    assert nonzero(data["counts"]) == {"passed": 1}
    assert data["coverage"]["sources"] == ["backend/app"]
    report = (reports_of(project) / "coverage/coverage.json").read_text()
    assert "prices.py" in report
    assert "test_prices" not in report


def test_coverage_never_measures_the_tests(sample: Sample) -> None:
    project = sample("basic")
    data = run_step(load_config(project), PYTHON, Console(quiet=True))
    assert data["coverage"]["sources"] == ["calc"]
    report = (reports_of(project) / "coverage/coverage.json").read_text()
    assert "test_calc" not in report
