"""The run step against real pytest runs of the sample projects."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from _pytest.pytester import RunResult
from conftest import write_files

from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.config import load_config
from tasks.console import Console
from tasks.errors import ConfigError, NoTestsError
from tasks.layout import project_layout
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
        run_step(load_config(project, cli={"tests": "tests"}), PYTHON, Console(quiet=True))
    assert str(caught.value) == (
        'no tests collected from --tests "tests" (0 deselected); point `tests` at the test folders'
    )
    assert caught.value.exit_code == 2
    # With `tests` unset, pytest looked where plain pytest looks: the message says where.
    with pytest.raises(NoTestsError) as caught:
        run_step(load_config(project), PYTHON, Console(quiet=True))
    assert str(caught.value) == (
        "no tests collected where plain pytest looks (its testpaths, else test files under "
        f"{project}) (0 deselected); set tests in [tool.phasegate] to the test folders"
    )


def test_with_tests_unset_the_run_is_what_plain_pytest_runs(tmp_path: Path) -> None:
    # Tests in testing/ (pytest's own discovery finds them), doctests in the package through
    # the project's testpaths and --doctest-modules: the same count as plain pytest.
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [tool.pytest.ini_options]
                testpaths = ["src", "testing"]
                addopts = ["--doctest-modules"]
                [tool.phasegate]
                venv = "none"
            """,
            "src/mini/__init__.py": '''
                def double(x):
                    """
                    >>> double(2)
                    4
                    """
                    return 2 * x
            ''',
            "testing/test_mini.py": """
                from mini import double


                def test_double():
                    assert double(3) == 6
            """,
            "testing/helpers.py": "VALUE = 1\n",
        },
    )
    config = load_config(project, cli={"pythonpath": "src"}, env={})
    data = run_step(config, PYTHON, Console(quiet=True))
    junit = tmp_path / "plain.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        check=False,
    )
    suite = ElementTree.parse(junit).getroot().find("testsuite")  # noqa: S314 pytest's own file
    assert suite is not None
    assert nonzero(data["counts"]) == {"passed": int(suite.get("tests", "0"))} == {"passed": 2}
    layout = project_layout(config, data)
    # The doctest's module is production code; the folder of the collected tests is test code.
    assert not layout.is_test_code(str(project / "src/mini/__init__.py"))
    assert layout.is_test_code(str(project / "testing/helpers.py"))


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


@pytest.mark.parametrize(
    "coverage_config",
    [
        {".coveragerc": "[run]\ninclude =\n    */mylib/*\n"},
        {"setup.cfg": "[coverage:run]\ninclude = */mylib/*\n"},
    ],
)
def test_the_projects_own_coverage_include_is_respected_not_fought(
    tmp_path: Path, coverage_config: dict[str, str]
) -> None:
    # Adding --cov=mylib on top of `include` makes coverage warn "--include is ignored
    # because --source is set", which the project's filterwarnings = error turns into a crash.
    project = write_files(
        tmp_path / "proj",
        {
            **coverage_config,
            "pyproject.toml": """
                [tool.pytest.ini_options]
                filterwarnings = ["error"]
                [tool.phasegate]
                venv = "none"
            """,
            "mylib/__init__.py": "def one():\n    return 1\n",
            "tests/test_one.py": "from mylib import one\n\ndef test_one():\n    assert one()\n",
        },
    )
    config = load_config(project, env={})
    data = run_step(config, PYTHON, Console(quiet=True))
    assert nonzero(data["counts"]) == {"passed": 1}
    assert data["coverage"] is not None
    assert data["coverage"]["sources"] == []
    assert data["coverage_note"] == "the project's coverage config"
    assert wait_for_reports(Artifacts(config.reports_dir), project) is None


def test_a_single_module_project_with_its_test_beside_it_works_with_defaults(
    tmp_path: Path,
) -> None:
    # Like six: one module and one test file at the root, no package, nothing configured.
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.phasegate]\nvenv = "none"\n',
            "setup.py": "",
            "onemod.py": "def twice(x):\n    return 2 * x\n\n\ndef unused():\n    return 0\n",
            "test_onemod.py": "from onemod import twice\n\n\ndef test_twice():\n"
            "    assert twice(2) == 4\n",
        },
    )
    config = load_config(project, env={})
    data = run_step(config, PYTHON, Console(quiet=True))
    assert nonzero(data["counts"]) == {"passed": 1}
    assert data["coverage"] is not None
    assert data["coverage"]["sources"] == ["onemod"]
    assert data["coverage_note"] == "detected top-level modules"


def test_a_conftest_importing_an_uninstalled_module_names_it_and_the_fix(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": '[tool.phasegate]\nvenv = "none"\n',
            "tests/conftest.py": "import not_installed_helper_zz\n",
            "tests/test_x.py": "def test_x():\n    pass\n",
        },
    )
    config = load_config(project, env={})
    with pytest.raises(ConfigError) as caught:
        run_step(config, PYTHON, Console(quiet=True))
    assert str(caught.value) == (
        f"pytest could not load {project / 'tests/conftest.py'}: module "
        "not_installed_helper_zz is not installed in the test environment; declare it in the "
        "project's test dependencies (a tests extra or dependency group, a requirements file) "
        "or set `install` in [tool.phasegate]; full log: "
        f"{config.reports_dir / 'run.log'}"
    )
    assert caught.value.exit_code == 2


def test_the_reports_never_look_like_a_package_to_setuptools(tmp_path: Path) -> None:
    # A flat-layout project is installed with setuptools' automatic discovery, which took the
    # old default reports/ folder for a second top-level package and refused to build.
    from setuptools.discovery import FlatLayoutPackageFinder

    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "flat"\nversion = "1"\n'
            '[tool.phasegate]\nvenv = "none"\n',
            "flat/__init__.py": "def one():\n    return 1\n",
            "tests/test_flat.py": "from flat import one\n\ndef test_one():\n    assert one()\n",
        },
    )
    run_step(load_config(project, env={}), PYTHON, Console(quiet=True))
    assert (project / ".phasegate/reports/run.json").is_file()
    found = FlatLayoutPackageFinder.find(str(project), exclude=("tests", "tests.*"))
    assert list(found) == ["flat"]


def test_a_run_in_a_colour_terminal_works_when_coverage_starts_first(sample: Sample) -> None:
    # --color=yes is pytest's option: it must land after "pytest", not among coverage's.
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    data = run_step(load_config(sample("basic")), PYTHON, Console(terminal))
    assert data["coverage"] is not None and data["coverage"]["sources"] == ["calc"]
    assert "--color=yes" in data["replay"].split(" -m pytest ", 1)[1]
    assert "\x1b[" in terminal.getvalue()  # pytest's own colours reached the terminal
