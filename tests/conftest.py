"""Shared fixtures: each test runs in its own tmp_path, away from this repo, $HOME and git."""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.config import load_config
from tasks.console import Console
from tasks.run.step import run_step
from tasks.stability.step import stability_step
from tasks.triage.step import triage_step

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def isolate(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from `root` with its own $HOME, git identity and no outer pytest, coverage or
    phasegate settings (xdist's worker variables included, so a run under -n matches -n0)."""
    monkeypatch.chdir(root)
    for name in list(os.environ):
        # GITHUB_/GITLAB_: this suite run in CI must not write to the CI's own files.
        prefixes = ("PHASEGATE_", "GIT_", "COV_CORE_", "PYTEST_XDIST_", "GITHUB_", "GITLAB_")
        if name.startswith(prefixes) or name in (
            "COVERAGE_FILE",
            "COVERAGE_PROCESS_START",
            "PYTEST_ADDOPTS",
        ):
            monkeypatch.delenv(name)
    # The sample projects use neither, yet a global install loads both into each of the ~130
    # pytest processes the suite starts: two thirds of each start-up (1.5 s -> 0.5 s here,
    # mostly hypothesis). Blocking a plugin that is not installed is a no-op.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:benchmark")
    home = root / "home"
    home.mkdir()
    templates = root / "git-templates"
    templates.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(templates))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.com")


# A module- or session-scoped fixture is computed once per xdist worker that runs a test using
# it; under --dist loadgroup, the tests sharing one of these go to one worker. (Not yet with
# pytest >= 9.2, where xdist 3.8 groups nothing, pytest-dev/pytest-xdist#1386: still correct,
# each worker then computes its own copy.)
SHARED_FIXTURES = ("polluted", "triaged", "blamed")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for name in SHARED_FIXTURES:
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(name))


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Module- and session-scoped fixtures are set up before any test's own isolation.
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(tmp_path_factory.mktemp("session"), monkeypatch)
        yield


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate(tmp_path, monkeypatch)
    yield


@pytest.fixture
def sample(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a sample project from tests/fixtures into tmp_path and return its root."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@dataclasses.dataclass(frozen=True)
class Stabilised:
    """A sample project after run, stability (every rerun and bisection) and triage."""

    project: Path
    stability: dict[str, Any]
    triage: dict[str, Any]


@pytest.fixture(scope="session")
def _polluted_once(tmp_path_factory: pytest.TempPathFactory) -> Stabilised:
    project = tmp_path_factory.mktemp("shared") / "polluted"
    shutil.copytree(FIXTURES / "polluted", project)
    config = load_config(project, env={})  # runs = 2: file order, then reversed
    console = Console(quiet=True)
    run_step(config, Path(sys.executable), console)
    stability = stability_step(config, Path(sys.executable), console)
    return Stabilised(project, stability, triage_step(config, Path(sys.executable), console))


@pytest.fixture
def polluted(_polluted_once: Stabilised) -> Stabilised:
    """The `polluted` sample stabilised and triaged once per session (its reruns and
    bisections take ~20 s); each test gets its own copy of the results. Nothing runs
    phasegate on the project again, so a test may run a command in it, never change it."""
    return copy.deepcopy(_polluted_once)


GIT_IDENTITY = (
    "-c",
    "user.name=Test Author",
    "-c",
    "user.email=author@example.com",
    "-c",
    "commit.gpgsign=false",
)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def commit_all(cwd: Path, message: str) -> str:
    """Commit everything in `cwd` (initialising the repository if needed); return the sha."""
    if not (cwd / ".git").exists():
        git(cwd, "init", "-q", "-b", "main")
        (cwd / ".gitignore").write_text("reports/\n.coverage*\n__pycache__/\ncounter.txt\n")
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)
    return git(cwd, "rev-parse", "HEAD")
