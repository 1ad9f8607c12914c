"""Where a project keeps its tests and its own importable modules."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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


def project_layout(config: PhaseConfig, run: Mapping[str, Any] | None = None) -> Layout:
    """The project's layout; `run` (run.json) tells pytest's rootdir."""
    roots = [*config.pythonpath_dirs, config.project / "src", config.project]
    test_roots = tuple((config.project / t).resolve() for t in config.tests)
    return Layout(
        project=config.project,
        test_roots=test_roots,
        import_roots=tuple(r for r in roots if r.is_dir()),
        top_modules=top_level_modules([*roots, *test_roots]),
        rootdir=Path(run["rootdir"]).resolve() if run and run.get("rootdir") else None,
    )
