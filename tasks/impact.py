"""Which tests execute which files, from the per-test contexts of the instrumented run."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from coverage import CoverageData


def context_test(context: str) -> str:
    """pytest-cov names contexts "<nodeid>|setup", "<nodeid>|run", "<nodeid>|teardown"."""
    return context.rsplit("|", 1)[0]


def lines_by_test(data_file: Path) -> dict[str, dict[str, set[int]]]:
    """nodeid -> {absolute path: lines it executed} (empty if no data)."""
    result: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    if not data_file.is_file():
        return result
    data = CoverageData(basename=str(data_file))
    data.read()
    for filename in data.measured_files():
        for lineno, contexts in data.contexts_by_lineno(filename).items():
            for context in contexts:
                if context:
                    result[context_test(context)][filename].add(lineno)
    return result


def files_by_test(data_file: Path) -> dict[str, set[str]]:
    """nodeid -> absolute paths of the measured files it executed (empty if no data)."""
    return {test: set(files) for test, files in lines_by_test(data_file).items()}
