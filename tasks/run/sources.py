"""What coverage measures: the configured `source`, the project's own coverage config, or the
packages found in the project, never its tests (the `--cov=.` pitfall)."""

from __future__ import annotations

from pathlib import Path

from tasks.config import PhaseConfig
from tasks.project_tools import coverage_run_options

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
    return None, (
        "no package to measure was found (no folder with __init__.py outside the tests); "
        'set source = ["yourpackage"] in [tool.phasegate]'
    )
