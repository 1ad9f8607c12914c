"""Which tests execute which files, from the per-test contexts of the instrumented run."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from coverage import CoverageData


def context_test(context: str) -> str:
    """pytest-cov names contexts "<nodeid>|setup", "<nodeid>|run", "<nodeid>|teardown"."""
    return context.rsplit("|", 1)[0]


def files_by_test(data_file: Path) -> dict[str, set[str]]:
    """nodeid -> absolute paths of the measured files it executed (empty if no data)."""
    result: dict[str, set[str]] = defaultdict(set)
    if not data_file.is_file():
        return result
    data = CoverageData(basename=str(data_file))
    data.read()
    for filename in data.measured_files():
        for contexts in data.contexts_by_lineno(filename).values():
            for context in contexts:
                if context:
                    result[context_test(context)].add(filename)
    return result
