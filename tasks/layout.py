"""Where a project keeps its tests and its own importable modules."""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tasks.config import PhaseConfig


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which files are the project's tests and which its production code."""

    project: Path
    test_roots: tuple[Path, ...]
    import_roots: tuple[Path, ...]  # where the project's own top-level modules live
    top_modules: frozenset[str]  # the project's own importable top-level names
    rootdir: Path | None = None  # pytest's rootdir, which node ids are relative to

    def test_file(self, nodeid: str) -> Path:
        """The file of a node id (node ids are relative to pytest's rootdir)."""
        return (self.rootdir or self.project) / nodeid.split("::")[0]

    def in_project(self, path: str) -> bool:
        p = Path(path)
        if not p.is_relative_to(self.project):
            return False
        parts = p.relative_to(self.project).parts
        return not any(part in (".nox", ".venv", "venv", ".tox", "site-packages") for part in parts)

    def is_test_code(self, path: str) -> bool:
        p = Path(path)
        return (
            p.name == "conftest.py"
            or p.name.startswith("test_")
            or p.name.endswith("_test.py")
            or any(p.is_relative_to(root) for root in self.test_roots)
        )

    def rel(self, path: str) -> str:
        p = Path(path)
        return p.relative_to(self.project).as_posix() if p.is_relative_to(self.project) else path

    def module_file(self, dotted: str) -> Path | None:
        parts = dotted.split(".")
        for root in self.import_roots:
            for candidate in (
                root.joinpath(*parts, "__init__.py"),
                root.joinpath(*parts[:-1], parts[-1] + ".py"),
            ):
                if candidate.is_file():
                    return candidate
        return None


def top_level_modules(roots: list[Path]) -> frozenset[str]:
    names: set[str] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for child in root.iterdir():
            if child.is_dir() and (child / "__init__.py").is_file():
                names.add(child.name)
            elif child.suffix == ".py":
                names.add(child.stem)
    return frozenset(names)


TEST_FOLDERS = frozenset({"tests", "test", "testing"})


def is_doctest(nodeid: str) -> bool:
    """A doctest item: pytest names it by the dotted name of the object whose docstring it
    is (`pkg/mod.py::pkg.mod.func`, `README.rst::README.rst`, and a top-level module's own
    docstring `util.py::util`); a test function's name has no dot outside its parametrize id
    and is not its module's name."""
    parts = nodeid.split("::")
    if len(parts) != 2:
        return False
    name = parts[1].split("[")[0]
    return "." in name or name == posixpath.splitext(posixpath.basename(parts[0]))[0]


def collected_test_roots(project: Path, rootdir: Path, nodeids: Iterable[str]) -> set[Path]:
    """Where the tests pytest collected live: for each test file (doctests aside), its
    nearest enclosing tests/, test/ or testing/ folder inside the project, else the file."""
    roots: set[Path] = set()
    # Each file once: a suite of 30,000 tests lives in a few hundred files.
    files = {
        nodeid.split("::")[0] for nodeid in nodeids if "::" in nodeid and not is_doctest(nodeid)
    }
    for name in files:
        file = (rootdir / name).resolve()
        folder = next(
            (d for d in file.parents if d.is_relative_to(project) and d.name in TEST_FOLDERS),
            None,
        )
        roots.add(folder or file)
    return roots


def project_layout(config: PhaseConfig, run: Mapping[str, Any] | None = None) -> Layout:
    """The project's layout. Test code: where the tests that pytest collected in `run`
    (run.json) live, so a package listed in `tests` for its doctests stays production code;
    without a run, the configured `tests`. `run` also tells pytest's rootdir."""
    roots = [*config.pythonpath_dirs, config.project / "src", config.project]
    rootdir = Path(run["rootdir"]).resolve() if run and run.get("rootdir") else None
    if run is not None:
        nodeids = (t["nodeid"] for t in run.get("tests", []))
        test_roots = collected_test_roots(config.project, rootdir or config.project, nodeids)
    else:
        test_roots = {(config.project / t).resolve() for t in config.tests}
    return Layout(
        project=config.project,
        test_roots=tuple(sorted(test_roots)),
        import_roots=tuple(r for r in roots if r.is_dir()),
        top_modules=top_level_modules([*roots, *(r for r in test_roots if r.is_dir())]),
        rootdir=rootdir,
    )
