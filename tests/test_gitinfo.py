"""git output read in machine forms: odd file names x a user's hostile git config, in real
repositories, with the exact changed lines per file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import commit_all, git, write_files

from tasks import gitinfo
from tasks.cli import main
from tasks.errors import RepositoryRefusedError

BEFORE = "".join(f"line {n}\n" for n in range(1, 11))
# Lines 3 and 8 edited (two hunks four lines apart), line 11 appended.
AFTER = BEFORE.replace("line 3\n", "LINE 3\n").replace("line 8\n", "LINE 8\n") + "line 11\n"
CHANGED = {3, 8, 11}

ODD_PATHS = [
    # plain names, as a baseline
    "src/plain.py",
    # a space: git ends the "+++ b/..." header with a tab
    "src/with space.py",
    # quoted by git in diff headers: non-ASCII (core.quotePath), ", \, tab, newline
    "src/café.py",
    'src/quo"te.py',
    "src/back\\slash.py",
    "src/tab\there.py",
    "src/new\nline.py",
    # looks like an option, or like a diff prefix
    "-dash.py",
    "b/a/prefixed.py",
    "w/i/mnemonic.py",
    # deep
    "d1/d2/d3/d4/d5/deep.py",
]

# name -> (repo-local config, where the code under test runs from)
HOSTILE = {
    "defaults": ({}, "."),
    "mnemonicPrefix": ({"diff.mnemonicPrefix": "true"}, "."),
    "noprefix": ({"diff.noprefix": "true"}, "."),
    "color always": ({"color.ui": "always", "color.diff": "always"}, "."),
    "relative, from a subfolder": ({"diff.relative": "true"}, "sub"),
    "quotePath": ({"core.quotePath": "true"}, "."),
    # an external diff that prints nothing: no hunks, "no changed lines"
    "external diff": ({"diff.external": "true"}, "."),
    # context lines merged into one hunk would count lines 4..7 as changed
    "interHunkContext": ({"diff.interHunkContext": "10", "diff.context": "5"}, "."),
    # a textconv that reverses the file moves every changed line
    "textconv": ({"diff.rev.textconv": "tac"}, "."),
    # detected renames and copies would hide the added file behind its source
    "renames": ({"diff.renames": "copies"}, "."),
}


def _repo(tmp_path: Path, name: str) -> tuple[Path, str]:
    """A repository with `name` committed at BEFORE and now at AFTER, plus a file added since
    the base (committed), one untracked, one deleted; returns (root, base sha)."""
    root = tmp_path / "repo"
    path = root / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BEFORE, encoding="utf-8")
    except OSError:  # pragma: no cover - a filesystem without tabs or newlines in names
        pytest.skip(f"this filesystem cannot hold {name!r}")
    (root / "sub").mkdir()
    (root / "sub" / "keep.txt").write_text("x\n")
    (root / "gone.py").write_text("x = 1\n")
    base = commit_all(root, "base")
    path.write_text(AFTER, encoding="utf-8")
    (root / "gone.py").unlink()
    (root / "added.py").write_text(BEFORE)  # a copy of the other file: a rename/copy source
    commit_all(root, "change")
    (root / "untracked.py").write_text("u = 1\n")
    return root, base


def _hostile(root: Path, config: dict[str, str]) -> None:
    for key, value in config.items():
        git(root, "config", key, value)
    if "diff.rev.textconv" in config:
        (root / ".git" / "info").mkdir(exist_ok=True)
        (root / ".git" / "info" / "attributes").write_text("*.py diff=rev\n")


@pytest.mark.parametrize("hostile", list(HOSTILE))
@pytest.mark.parametrize("name", ODD_PATHS)
def test_changed_lines_of_odd_paths_under_hostile_config(
    tmp_path: Path, name: str, hostile: str
) -> None:
    root, base = _repo(tmp_path, name)
    config, where = HOSTILE[hostile]
    _hostile(root, config)
    cwd = root / where
    assert gitinfo.changed_lines(cwd, base) == {
        root / name: CHANGED,
        root / "added.py": set(range(1, 11)),
        root / "untracked.py": None,
    }
    assert gitinfo.added_files(cwd, base) == {root / "added.py", root / "untracked.py"}


@pytest.mark.parametrize(
    ("after", "lines"),
    [
        # a pure deletion marks the lines on both sides of where it was
        (BEFORE.replace("line 5\n", ""), {4, 5}),
        (BEFORE.replace("line 1\n", ""), {0, 1}),
        # a content line that looks like a diff header is content, not a header
        (BEFORE.replace("line 2\n", "++ b/other.py\n"), {2}),
        (BEFORE.replace("line 2\n", "@@ -1 +90,3 @@\n"), {2}),
        (BEFORE + "diff --git a/x b/x\n+++ b/x\n", {11, 12}),
        # a carriage return inside a line does not split it
        (BEFORE.replace("line 2\n", "line\r@@ -1 +90 @@\n"), {2}),
    ],
    ids=["deletion", "deletion at the top", "+++", "@@", "diff --git", "carriage return"],
)
def test_changed_lines_of_tricky_content(tmp_path: Path, after: str, lines: set[int]) -> None:
    root, base = _repo(tmp_path, "f.py")
    (root / "f.py").write_bytes(after.encode())
    assert gitinfo.changed_lines(root, base) == {
        root / "f.py": lines,
        root / "added.py": set(range(1, 11)),
        root / "untracked.py": None,
    }


def test_a_file_git_sees_as_binary_counts_as_wholly_changed(tmp_path: Path) -> None:
    root, base = _repo(tmp_path, "f.py")
    (root / ".gitattributes").write_text("f.py binary\n")
    commit_all(root, "binary")
    assert gitinfo.changed_lines(root, base)[root / "f.py"] is None


def test_commits_since_ignores_signatures_and_odd_subjects(tmp_path: Path) -> None:
    root, base = _repo(tmp_path, "f.py")
    (root / "x.py").write_text("x\n")
    commit_all(root, "fix: a subject with \x1f and\ttab")
    git(root, "config", "log.showSignature", "true")
    git(root, "config", "color.ui", "always")
    shas = git(root, "rev-list", f"{base}..HEAD").split()
    assert gitinfo.commits_since(root, base) == [
        (shas[0], "fix: a subject with \x1f and\ttab"),
        (shas[1], "change"),
    ]


@pytest.mark.parametrize("name", ["src/with space.py", "src/café.py", "-dash.py", "src/[ab]*.py"])
def test_blame_show_and_history_of_odd_paths(tmp_path: Path, name: str) -> None:
    root, base = _repo(tmp_path, name)
    head = git(root, "rev-parse", "HEAD")
    # What "src/[ab]*.py" would match as a glob pathspec, committed after the change.
    write_files(root, {"src/a1.py": "only in a1\n"})
    commit_all(root, "a1")
    _hostile(root, {"color.ui": "always", "log.follow": "true", "diff.rev.textconv": "tac"})
    blame = gitinfo.blame_times(root, root / name)
    assert blame is not None
    assert sorted(blame) == list(range(1, 12))
    assert {blame[n][0] for n in CHANGED} == {head}
    assert {blame[n][0] for n in set(range(1, 11)) - CHANGED} == {base}
    assert gitinfo.show_file(root, base, root / name) == BEFORE
    assert gitinfo.show_file(root, base, root / "added.py") is None
    assert gitinfo.ever_contained(root, root / name, "LINE 3")
    assert not gitinfo.ever_contained(root, root / name, "only in a1")


def test_toplevel_keeps_trailing_spaces(tmp_path: Path) -> None:
    root = tmp_path / "ends with space "
    root.mkdir()
    git(root, "init", "-q")
    assert gitinfo.toplevel(root / ".") == root


def test_a_repository_git_refuses_is_one_line_never_no_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkout another user owns (a container's): git refuses it (safe.directory). Every
    command says so and how to allow it, never "not a repository" nor "no such commit"."""
    write_files(tmp_path, {"pkg.py": "X = 1\n"})
    git(tmp_path, "init", "-q")
    commit_all(tmp_path, "first")
    assert gitinfo.toplevel(tmp_path) == tmp_path.resolve()
    # git's own test switch for the ownership check (its t0033-safe-directory.sh).
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    fix = f"git config --global --add safe.directory {tmp_path.resolve()}"
    with pytest.raises(RepositoryRefusedError, match="another user owns it") as refused:
        gitinfo.toplevel(tmp_path)
    assert str(refused.value).endswith(fix)
    with pytest.raises(RepositoryRefusedError):
        gitinfo.head(tmp_path)  # a call that tolerates git's failures tolerates no refusal
    for command in (["affected"], ["hook", "install"], ["validate"]):
        assert main([*command, "--project", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"phasegate: error: {tmp_path.resolve()}: git refuses")
        assert err.count("\n") == 1 and err.rstrip().endswith(fix)
