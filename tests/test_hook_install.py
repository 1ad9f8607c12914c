"""Installing and removing the pre-push hook, with real git repositories and real pushes: the
shim is the shipped file, a foreign hook is kept, run first and restored, core.hooksPath and
worktrees are followed, and a hook whose interpreter is gone says how to reinstall."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import git
from hookrepo import bare_remote, pushed_project, run

import tasks
from tasks.cli import main as cli_main
from tasks.errors import ConfigError
from tasks.hook.install import hook_paths, install, uninstall
from tasks.hook.report import SKIP as SKIP_LINE

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "hooks" / "pre-push"
FOREIGN = """#!/bin/sh
# someone else's hook: logs what git gave it, fails when told to
echo "args: $*" >> "$(dirname "$0")/../legacy.log"
cat >> "$(dirname "$0")/../legacy.log"
test ! -e "$(dirname "$0")/../block"
"""


def test_the_shipped_shim_is_the_repositorys_hooks_pre_push() -> None:
    shipped = ROOT / "tasks" / "hook" / "pre-push"
    assert shipped.read_bytes() == SHIM.read_bytes()
    # ... and a wheel or an editable install carries it as package data
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "hook/pre-push" in pyproject["tool"]["setuptools"]["package-data"]["tasks"]


def test_install_writes_the_shim_and_the_interpreter_beside_the_git_data(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)
    said = install(repo.work, repo.work)
    hook = repo.work / ".git" / "hooks" / "pre-push"
    assert hook.read_bytes() == SHIM.read_bytes()
    assert hook.stat().st_mode & stat.S_IXUSR
    setup = repo.work / ".git" / "phasegate" / "hook"
    package = str(Path(tasks.__file__).absolute())
    assert setup.read_text(encoding="utf-8").splitlines() == [sys.executable, ".", package]
    assert said == [
        f"installed phasegate's pre-push hook at {hook} (Python: {sys.executable}; project: .)"
    ]
    # installing twice changes nothing
    before = hook.stat().st_mtime_ns
    assert install(repo.work, repo.work) == [
        f"phasegate's pre-push hook is already installed at {hook}: nothing changed"
    ]
    assert hook.stat().st_mtime_ns == before
    assert not (hook.parent / "pre-push.legacy").exists()


def test_a_foreign_hook_is_kept_run_first_with_the_same_input_and_restored(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)
    hooks = repo.work / ".git" / "hooks"
    hooks.mkdir()  # an empty template folder: git made none
    (hooks / "pre-push").write_text(FOREIGN)
    (hooks / "pre-push").chmod(0o755)
    said = install(repo.work, repo.work)
    assert (hooks / "pre-push.legacy").read_text() == FOREIGN
    assert said[0].startswith(f"kept your pre-push hook as {hooks / 'pre-push.legacy'}")
    before, after = repo.sha(), repo.commit({"README.md": "more docs\n"})
    pushed = repo.push("origin", "main")
    assert pushed.returncode == 0, pushed.stdout
    log = (repo.work / ".git" / "legacy.log").read_text()
    assert log == f"args: origin {repo.remote}\nrefs/heads/main {after} refs/heads/main {before}\n"
    # its failure blocks the push
    (repo.work / ".git" / "block").touch()
    repo.commit({"README.md": "even more docs\n"})
    blocked = repo.push("origin", "main")
    assert blocked.returncode != 0
    assert (
        "phasegate: your previous pre-push hook (.git/hooks/pre-push.legacy) failed (exit 1): "
        "push blocked"
    ) in blocked.stdout
    assert repo.remote_sha() == after
    # uninstall puts it back and removes what phasegate wrote
    assert uninstall(repo.work)[1] == f"restored your previous hook: {hooks / 'pre-push'}"
    assert (hooks / "pre-push").read_text() == FOREIGN
    assert not (hooks / "pre-push.legacy").exists()
    assert not (repo.work / ".git" / "phasegate").exists()


def test_a_second_foreign_hook_is_refused_not_lost_and_force_replaces_both(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)
    hooks = repo.work / ".git" / "hooks"
    hooks.mkdir()  # an empty template folder: git made none
    (hooks / "pre-push").write_text(FOREIGN)
    (hooks / "pre-push.legacy").write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(ConfigError, match=r"pre-push.legacy exists too: keeping one would lose"):
        install(repo.work, repo.work)
    assert (hooks / "pre-push").read_text() == FOREIGN
    install(repo.work, repo.work, force=True)
    assert (hooks / "pre-push").read_bytes() == SHIM.read_bytes()
    assert not (hooks / "pre-push.legacy").exists()
    uninstall(repo.work)
    assert not (hooks / "pre-push").exists()


def test_uninstall_leaves_a_hook_that_is_not_ours(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path, hook=False)
    hook = repo.work / ".git" / "hooks" / "pre-push"
    hook.parent.mkdir()
    hook.write_text(FOREIGN)
    assert uninstall(repo.work) == [f"no phasegate hook at {hook}: nothing removed"]
    assert hook.read_text() == FOREIGN


def test_core_hooks_path_is_followed_and_shared_repositories_are_told(tmp_path: Path) -> None:
    shared = tmp_path / "shared-hooks"
    repo = pushed_project(tmp_path, hook=False)
    repo.git("config", "core.hooksPath", str(shared))
    said = install(repo.work, repo.work)
    assert (shared / "pre-push").read_bytes() == SHIM.read_bytes()
    assert said[-1].startswith(f"core.hooksPath = {shared}: every repository using that folder")
    # the interpreter is kept with this repository, not in the shared folder
    assert (repo.work / ".git" / "phasegate" / "hook").is_file()
    assert sorted(p.name for p in shared.iterdir()) == ["pre-push"]
    repo.commit({"README.md": "docs\n"})
    pushed = repo.push("origin", "main")
    assert "no Python file or config changed; nothing to test" in pushed.stdout
    # another repository sharing the folder, where phasegate was not installed
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    git(other, "config", "core.hooksPath", str(shared))
    git(other, "commit", "-q", "--allow-empty", "-m", "x")
    git(other, "remote", "add", "origin", str(bare_remote(tmp_path / "other.git")))
    done = run(other, ["git", "push", "origin", "main"])
    assert done.returncode == 0, done.stdout
    assert "phasegate: not set up for this repository" in done.stdout


def test_a_worktree_shares_the_hook_and_keeps_its_own_interpreter(tmp_path: Path) -> None:
    repo = pushed_project(tmp_path)
    tree = tmp_path / "feature-tree"
    repo.git("worktree", "add", "-q", "-b", "feature", str(tree))
    paths = hook_paths(tree)
    assert paths.hook == repo.work / ".git" / "hooks" / "pre-push"
    # a worktree made after the install uses the repository's setup
    (tree / "NOTES.md").write_text("notes\n")
    git(tree, "add", "NOTES.md")
    git(tree, "commit", "-q", "-m", "notes")
    pushed = run(tree, ["git", "push", "origin", "feature"])
    assert pushed.returncode == 0, pushed.stdout
    assert f"{repo.sha()[:12]}..{git(tree, 'rev-parse', 'HEAD')[:12]}: no Python" in pushed.stdout
    # installing from the worktree writes its own setup, in its own git data
    install(tree, tree)
    assert paths.setup == repo.work / ".git" / "worktrees" / "feature-tree" / "phasegate" / "hook"
    assert paths.setup.is_file()


@pytest.mark.parametrize("gone", ["interpreter", "package"])
def test_a_hook_whose_interpreter_is_gone_says_how_to_reinstall(tmp_path: Path, gone: str) -> None:
    repo = pushed_project(tmp_path)
    setup = repo.work / ".git" / "phasegate" / "hook"
    python, project, package = setup.read_text().splitlines()
    old = tmp_path / "old-venv"
    if gone == "interpreter":
        python = str(old / "bin" / "python")
    else:  # the interpreter is there, phasegate was uninstalled from it
        package = str(old / "site-packages" / "tasks" / "__init__.py")
    setup.write_text(f"{python}\n{project}\n{package}\n")
    repo.commit({"README.md": "docs\n"})
    pushed = repo.push("origin", "main")
    assert pushed.returncode != 0
    assert (
        f"phasegate: the Python that installed this hook ({python}) is gone or no longer has "
        "phasegate; reinstall it: pip install phasegate && phasegate hook install"
    ) in pushed.stdout
    assert pushed.stdout.count(SKIP_LINE) == 1
    assert repo.remote_sha() != repo.sha()


def test_the_cli_installs_and_uninstalls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = pushed_project(tmp_path, hook=False)
    os.chdir(repo.work)
    assert cli_main(["hook", "install"]) == 0
    assert "installed phasegate's pre-push hook" in capsys.readouterr().out
    assert cli_main(["hook", "uninstall"]) == 0
    assert "removed phasegate's pre-push hook" in capsys.readouterr().out
    # outside a repository: one line, exit 2
    os.chdir(tmp_path)
    assert cli_main(["hook", "install"]) == 2
    assert "not inside a git repository" in capsys.readouterr().err
    done = subprocess.run(
        [sys.executable, "-m", "tasks", "--help"], capture_output=True, text=True, check=True
    )
    assert "hook" in done.stdout


def test_pre_commits_own_hook_is_not_chained_as_legacy(tmp_path: Path) -> None:
    # pre-commit's hook runs `<its folder>/pre-push.legacy` itself: renamed to that, it would
    # run itself (and pre-commit stops that as a bug). Users add phasegate to pre-commit.
    repo = pushed_project(tmp_path, hook=False)
    hook = repo.work / ".git" / "hooks" / "pre-push"
    hook.parent.mkdir()
    generated = "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n"
    hook.write_text(generated + "# ID: 138fd403232d2ddd5efb44317e38bf03\n")
    with pytest.raises(ConfigError, match=r"is pre-commit's hook, which runs its own pre-push"):
        install(repo.work, repo.work)
    assert hook.read_text().startswith(generated)
    assert not (hook.parent / "pre-push.legacy").exists()


def test_a_submodule_gets_the_hook_in_its_own_git_data(tmp_path: Path) -> None:
    inner = pushed_project(tmp_path / "inner-repo", hook=False).work
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, "init", "-q", "-b", "main")
    git(outer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub")
    install(outer / "sub", outer / "sub")
    modules = outer / ".git" / "modules" / "sub"
    assert (modules / "hooks" / "pre-push").read_bytes() == SHIM.read_bytes()
    assert (modules / "phasegate" / "hook").is_file()
    assert not (outer / ".git" / "hooks" / "pre-push").exists()
