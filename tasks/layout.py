"""Where a project keeps its tests and its own importable modules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasks.config import PhaseConfig
from tasks.triage_facts import Layout


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
