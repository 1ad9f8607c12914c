"""A tiny project in a real git repository with a bare remote, for the hook's tests: pushes
are real `git push` runs, which run the installed hook."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from conftest import commit_all, git, write_files

from tasks.hook.install import install

PROJECT = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
    """,
    "calc/__init__.py": """
        def add(a, b):
            return a + b
    """,
    "tests/test_calc.py": """
        from calc import add


        def test_add():
            assert add(1, 2) == 3
    """,
    "tests/test_other.py": """
        def test_other():
            assert True
    """,
    "README.md": "calc\n",
}


@dataclasses.dataclass(frozen=True)
class Pushed:
    """The checkout `work` (branch main, pushed to origin) and its bare remote."""

    work: Path
    remote: Path

    def git(self, *args: str) -> str:
        return git(self.work, *args)

    def sha(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev)

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        write_files(self.work, files)
        return commit_all(self.work, message)

    def push(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A real `git push` (the hook runs); stdout and stderr together."""
        return run(self.work, ["git", "push", *args], env=env)

    def remote_sha(self, ref: str = "refs/heads/main") -> str:
        return git(self.remote, "rev-parse", ref)

    def hook_run(self, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m tasks hook run` as the shim starts it, with git's input."""
        return run(self.work, [sys.executable, "-P", "-m", "tasks", "hook", "run", *args], stdin)


def run(
    cwd: Path, argv: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        input=stdin,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def bare_remote(path: Path) -> Path:
    git(path.parent, "init", "-q", "--bare", path.name)
    return path


def pushed_project(root: Path, *, hook: bool = True) -> Pushed:
    """The project committed on main, pushed to `origin` (without the hook), then the hook
    installed (by this interpreter)."""
    work = write_files(root / "work", PROJECT)
    commit_all(work, "first")
    remote = bare_remote(root / "origin.git")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "--no-verify", "-u", "origin", "main")
    if hook:
        install(work, work)
    return Pushed(work, remote)


def line(local_ref: str, local: str, remote_ref: str, remote: str) -> str:
    return f"{local_ref} {local} {remote_ref} {remote}\n"
