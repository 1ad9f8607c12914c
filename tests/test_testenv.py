from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import write_files

from tasks.config import load_config
from tasks.console import Console
from tasks.errors import ConfigError
from tasks.hook.check import push_interpreter
from tasks.testenv import detect_install, ensure_env, is_installed


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": "[project]\nname = 'x'\n"}, ["-e", "."]),
        (
            {
                "pyproject.toml": "[project]\nname = 'x'\n[project.optional-dependencies]\n"
                "tests = ['pytest']\n"
            },
            ["-e", ".[tests]"],
        ),
        ({"setup.py": "", "requirements-dev.txt": ""}, ["-e", ".", "-r", "requirements-dev.txt"]),
        # a pyproject.toml that only configures tools is not a package
        (
            {"pyproject.toml": "[tool.pytest.ini_options]\n", "requirements.txt": ""},
            ["-r", "requirements.txt"],
        ),
        (
            {"requirements.txt": "", "test-requirements.txt": ""},
            ["-r", "requirements.txt", "-r", "test-requirements.txt"],
        ),
        ({}, []),
        # PEP 735 dependency groups, includes resolved; "dev" only when no test group exists
        (
            {
                "pyproject.toml": "[project]\nname = 'x'\n[dependency-groups]\n"
                "tests = ['pytest>=8', {include-group = 'typing'}]\ntyping = ['mypy']\n"
                "dev = ['tox']\n"
            },
            ["-e", ".", "pytest>=8", "mypy"],
        ),
        (
            {"pyproject.toml": "[project]\nname = 'x'\n[dependency-groups]\ndev = ['hyp']\n"},
            ["-e", ".", "hyp"],
        ),
        # every test extra, not only the first; an unrelated extra is left out
        (
            {
                "pyproject.toml": "[project]\nname = 'x'\n[project.optional-dependencies]\n"
                "test = ['a']\ntesting = ['b']\ndocs = ['c']\n"
            },
            ["-e", ".[test,testing]"],
        ),
        # requirement files in the usual places
        (
            {"setup.py": "", "tests/requirements.txt": ""},
            ["-e", ".", "-r", "tests/requirements.txt"],
        ),
    ],
)
def test_detect_install(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    assert detect_install(write_files(tmp_path, files)).args == expected


def test_detect_install_says_what_it_found(tmp_path: Path) -> None:
    project = write_files(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'x'\n[project.optional-dependencies]\n"
            "tests = ['a']\n[dependency-groups]\ntest = ['b']\n",
            "requirements-dev.txt": "",
        },
    )
    assert detect_install(project).found == [
        "the project with extras [tests]",
        "dependency group test",
        "requirements-dev.txt",
    ]


def test_a_broken_dependency_group_is_one_line_naming_the_file(tmp_path: Path) -> None:
    project = write_files(
        tmp_path,
        {"pyproject.toml": "[dependency-groups]\ntests = [{include-group = 'missing'}]\n"},
    )
    with pytest.raises(ConfigError, match=r"\[dependency-groups\] in .*pyproject.toml: .*missing"):
        detect_install(project)


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv on PATH and the package index")
def test_environment_is_installed_once_and_reused(sample: object, tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "proj",
        {
            "pyproject.toml": """
            [project]
            name = "tinyproj"
            version = "0.1"
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"
            [dependency-groups]
            tests = ["iniconfig"]
            [tool.phasegate]
            venv = "uv"
        """,
            "tinyproj/__init__.py": "VALUE = 1\n",
        },
    )
    config = load_config(project, env={})
    assert not is_installed(config)
    python = ensure_env(config, Console(quiet=True))
    assert python == project / ".nox/phasegate/bin/python"
    assert is_installed(config)
    done = subprocess.run(
        # The project, its PEP 735 test group, and phasegate's own runner requirements.
        [str(python), "-c", "import tinyproj, iniconfig, pytest_cov; print('ok')"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "ok"
    stamp = (project / ".nox/phasegate/phasegate-install.json").stat().st_mtime_ns
    assert ensure_env(config, Console(quiet=True)) == python  # no reinstall
    assert (project / ".nox/phasegate/phasegate-install.json").stat().st_mtime_ns == stamp
    # An install that failed midway leaves an interpreter without the stamp: the pre-push
    # hook, which never reinstalls a finished environment, builds this one.
    (project / ".nox/phasegate/phasegate-install.json").unlink()
    assert python.exists() and not is_installed(config)
    assert push_interpreter(config, Console(quiet=True)) == python
    assert is_installed(config)
