"""The per-test impact index: which tests execute which lines of which files, from the
per-test contexts of the one instrumented run, with each file's content hash so a stale index
is detected rather than trusted.

The file's shape is `tasks.artifacts.impact.ImpactArtifact`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Collection, Mapping
from pathlib import Path

from coverage import CoverageData

from tasks.artifacts import store
from tasks.artifacts.impact import IMPACT, ImpactArtifact, ImpactFile, IndexConfig


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


def file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _rel(path: Path, project: Path) -> str:
    return path.relative_to(project).as_posix() if path.is_relative_to(project) else str(path)


def file_entry(
    path: Path, lines: Mapping[int, Collection[str]], tests: dict[str, int]
) -> ImpactFile:
    """One file's entry: its hash, the tests of each line (`tests` gives each new node id its
    number) and the lines run outside any test (the empty context: import time)."""
    by_line: dict[str, list[int]] = {}
    import_lines: list[int] = []
    for lineno, contexts in sorted(lines.items()):
        ids = {tests.setdefault(context_test(c), len(tests)) for c in contexts if c}
        if ids:
            by_line[str(lineno)] = sorted(ids)
        if "" in contexts:
            import_lines.append(lineno)
    return ImpactFile(sha256=file_hash(path), lines=by_line, import_lines=import_lines)


def build(data_file: Path, project: Path, run_id: str, config: IndexConfig) -> ImpactArtifact:
    """The index of a coverage data file recorded with per-test contexts."""
    data = CoverageData(basename=str(data_file))
    data.read()
    tests: dict[str, int] = {}
    files: dict[str, ImpactFile] = {}
    for filename in sorted(data.measured_files()):
        path = Path(filename)
        by_line = data.contexts_by_lineno(filename)
        files[_rel(path, project)] = file_entry(path, by_line, tests)
    return ImpactArtifact(
        base_run_id=run_id, per_test=bool(tests), config=config, tests=list(tests), files=files
    )


def write(path: Path, data_file: Path, project: Path, run_id: str, config: IndexConfig) -> None:
    store.write(path, IMPACT, build(data_file, project, run_id, config))


@dataclasses.dataclass(frozen=True)
class ImpactIndex:
    """Queries over impact.json."""

    project: Path
    per_test: bool
    tests: tuple[str, ...]
    files: Mapping[str, ImpactFile]

    @classmethod
    def from_json(cls, project: Path, data: ImpactArtifact) -> ImpactIndex:
        return cls(project, bool(data["per_test"]), tuple(data["tests"]), data["files"])

    def tests_for_line(self, file: str, line: int) -> list[str]:
        """The tests that executed `line` of `file` (a project-relative path)."""
        entry = self.files.get(file)
        ids = entry["lines"].get(str(line), []) if entry else []
        return sorted(self.tests[i] for i in ids)

    def files_by_test(self) -> dict[str, set[str]]:
        """nodeid -> the project-relative files it executed."""
        result: dict[str, set[str]] = defaultdict(set)
        for file, entry in self.files.items():
            for ids in entry["lines"].values():
                for i in ids:
                    result[self.tests[i]].add(file)
        return dict(result)

    def stale_files(self) -> list[str]:
        """Indexed files whose content changed (or vanished) since the run measured them."""
        return sorted(
            file
            for file, entry in self.files.items()
            if file_hash(self.project / file) != entry["sha256"]
        )


def load(path: Path, project: Path, run_id: str) -> ImpactIndex | None:
    """The index made from the run `run_id` (None when absent or from another run)."""
    data = store.load_fresh(path, IMPACT, run_id)
    return None if data is None else ImpactIndex.from_json(project, data)
