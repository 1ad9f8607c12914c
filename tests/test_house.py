"""The shape of tasks/: small modules, functions that read as one screen, and steps that
read each other's output only through the artifact schemas (tasks.artifacts)."""

from __future__ import annotations

import ast
from pathlib import Path

TASKS = Path(__file__).resolve().parent.parent / "tasks"
STEPS = ("run", "stability", "triage", "coverage", "summary")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return sorted(TASKS.rglob("*.py"))


def name_of(path: Path) -> str:
    return ".".join(path.relative_to(TASKS.parent).with_suffix("").parts)


def test_no_module_is_over_300_lines() -> None:
    long = {
        name_of(p): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"split these modules (lines): {long}"


def test_no_function_is_over_60_lines() -> None:
    long = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{name_of(path)}.{node.name}"] = lines
    assert long == {}, f"split these functions (lines): {long}"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_step_imports_another_steps_modules() -> None:
    crossings = {}
    for path in modules():
        parts = path.relative_to(TASKS).parts
        own = parts[0] if len(parts) > 1 and parts[0] in STEPS else None
        edges = ("pipeline.py",), ("preflight.py",), ("cli.py",), ("sessions.py",)
        if parts in (*edges, ("hook", "testrun.py")):
            # The edges call the steps (preflight: the pipeline's input checks, the
            # quarantine's among them); the pre-push hook, an entry point of its own, asks
            # triage's pure rules to classify the failures of its own run (no artifact exists).
            continue
        for name in imported(path):
            bits = name.split(".")
            if len(bits) > 1 and bits[0] == "tasks" and bits[1] in STEPS and bits[1] != own:
                crossings.setdefault(name_of(path), set()).add(name)
    assert crossings == {}, f"read artifacts through tasks.artifacts instead: {crossings}"


def test_the_background_reporter_is_run_by_module_name_not_imported_by_readers() -> None:
    # The coverage step waits for the reporter through tasks.artifacts.coverage, which runs
    # `python -m tasks.run.reporter` only when the background process is gone.
    source = (TASKS / "artifacts" / "coverage.py").read_text(encoding="utf-8")
    assert '"tasks.run.reporter"' in source
    assert "tasks.run" not in imported(TASKS / "artifacts" / "coverage.py")
