"""Reading the project's own pytest and coverage configuration the way those tools do."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_files

from tasks.project_tools import coverage_run_options, pytest_addopts, uses_xdist


@pytest.mark.parametrize(
    ("args", "xdist"),
    [
        # spread over workers
        (["-n", "auto"], True),
        (["-n4"], True),
        (["--numprocesses=2"], True),
        (["--dist", "loadgroup"], True),
        # not spread
        ([], False),
        (["-n0"], False),
        (["-n", "0"], False),
        (["--numprocesses=0"], False),
        (["-q", "--strict-markers"], False),
    ],
)
def test_uses_xdist(args: list[str], xdist: bool) -> None:
    assert uses_xdist(args) is xdist


@pytest.mark.parametrize(
    ("files", "addopts"),
    [
        (
            {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = ['-n', 'auto']\n"},
            ["-n", "auto"],
        ),
        ({"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra -q"\n'}, ["-ra", "-q"]),
        # pytest.ini wins over pyproject.toml, as in pytest
        (
            {
                "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
                "pyproject.toml": "[tool.pytest.ini_options]\naddopts = ['-n', '2']\n",
            },
            ["--doctest-modules"],
        ),
        ({"setup.cfg": "[tool:pytest]\naddopts = -p mylib.plugin\n"}, ["-p", "mylib.plugin"]),
        ({"tox.ini": "[pytest]\naddopts = -x\n"}, ["-x"]),
        ({}, []),
    ],
)
def test_pytest_addopts(tmp_path: Path, files: dict[str, str], addopts: list[str]) -> None:
    assert pytest_addopts(write_files(tmp_path, files)) == addopts


def test_coverage_run_options_follow_coverages_file_order(tmp_path: Path) -> None:
    project = write_files(
        tmp_path,
        {
            ".coveragerc": "[run]\nparallel = true\n",
            "pyproject.toml": "[tool.coverage.run]\nsource = ['x']\n",
        },
    )
    assert coverage_run_options(project) == {"parallel": "true"}
    (project / ".coveragerc").unlink()
    assert coverage_run_options(project) == {"source": ["x"]}
