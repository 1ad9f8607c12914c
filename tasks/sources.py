"""What coverage measures: the configured `source`, the project's own coverage config, or the
packages found in the project, never its tests (the `--cov=.` pitfall); and whether coverage
can start before pytest. Shared by the run step and the index refresh."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from tasks.config import PhaseConfig
from tasks.project_tools import coverage_run_options, pytest_addopts, uses_xdist

NOT_SOURCE = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "benchmarks",
        "examples",
        "fixtures",
        "build",
        "dist",
        "site-packages",
        "node_modules",
    }
)


# Any of these in the project's [coverage:run] says what to measure: adding --cov=... on top
# would make coverage ignore `include` ("--include is ignored because --source is set").
SELECTING = ("source", "source_pkgs", "include")


def project_coverage_source(project: Path) -> bool:
    """True when the project's own coverage config already says what to measure."""
    run = coverage_run_options(project)
    return any(run.get(key) for key in SELECTING)


def _is_test_path(path: Path, config: PhaseConfig) -> bool:
    test_roots = [(config.project / t).resolve() for t in config.tests]
    resolved = path.resolve()
    return path.name in NOT_SOURCE or any(
        resolved == root or root in resolved.parents for root in test_roots
    )


def detect_packages(config: PhaseConfig) -> list[str]:
    """Importable packages under the import roots (pythonpath entries, src/, the root)."""
    roots = [*config.pythonpath_dirs, config.project / "src", config.project]
    found: list[str] = []
    for root in roots:
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if (
                child.is_dir()
                and not child.name.startswith((".", "_"))
                and (child / "__init__.py").is_file()
                and not _is_test_path(child, config)
            ):
                found.append(child.relative_to(config.project).as_posix())
        if found:
            break
    return found


# Top-level scripts of a project's tooling, never its product.
NOT_MODULES = frozenset({"setup", "conftest", "noxfile", "fabfile", "tasks", "dodo", "manage"})


def detect_modules(config: PhaseConfig) -> list[str]:
    """A single-module project (`six.py`): its top-level modules, when it has no package."""
    for root in (*config.pythonpath_dirs, config.project / "src", config.project):
        if not root.is_dir():
            continue
        found = [
            child.stem
            for child in sorted(root.glob("*.py"))
            if child.stem not in NOT_MODULES
            and not child.name.startswith(("test_", "_", "."))
            and not child.stem.endswith("_test")
        ]
        if found:
            return found
    return []


def coverage_sources(config: PhaseConfig) -> tuple[list[str] | None, str]:
    """The `--cov` values and where they came from. [] means the project's own config;
    None means nothing could be found (the message says how to fix it)."""
    if config.source:
        return list(config.source), "source in [tool.phasegate]"
    if project_coverage_source(config.project):
        return [], "the project's coverage config"
    packages = detect_packages(config)
    if packages:
        return packages, "detected packages"
    modules = detect_modules(config)
    if modules:
        return modules, "detected top-level modules"
    return None, (
        "no package or module to measure was found (no folder with __init__.py, no module "
        'outside the tests); set source = ["yourpackage"] in [tool.phasegate]'
    )


def starts_early(config: PhaseConfig) -> bool:
    """Whether coverage can start before pytest (`coverage run -m pytest`): not under xdist,
    whose workers only pytest-cov measures."""
    args = [
        *pytest_addopts(config.project),
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.pytest_args,
    ]
    return not uses_xdist(args)
