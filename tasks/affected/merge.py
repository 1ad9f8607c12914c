"""Fold a partial impact index (the tests one refresh measured) into the whole one, file by
file: a file whose content is unchanged keeps every other test's lines and gets the measured
tests' fresh lines; a file whose content changed is replaced whole by the fresh measurement
(the refresh measured every test the index said executes it, so nothing is lost)."""

from __future__ import annotations

from collections.abc import Collection

from tasks.artifacts.impact import ImpactArtifact, ImpactFile


def _named(entry: ImpactFile, tests: list[str]) -> dict[str, set[str]]:
    """line -> the node ids (not numbers) of the tests that executed it."""
    return {line: {tests[i] for i in ids} for line, ids in entry["lines"].items()}


def _numbered(lines: dict[str, set[str]], ids: dict[str, int]) -> dict[str, list[int]]:
    return {
        line: sorted(ids.setdefault(n, len(ids)) for n in names)
        for line, names in sorted(lines.items(), key=lambda item: int(item[0]))
        if names
    }


def merge(
    whole: ImpactArtifact,
    fresh: ImpactArtifact,
    measured: Collection[str],
    changed: Collection[str],
) -> ImpactArtifact:
    """`whole` with the tests `measured` (node ids that ran) as `fresh` saw them; the files
    `changed` (content differs from `whole`'s hash) are taken from `fresh` alone."""
    ran = set(measured)
    files: dict[str, tuple[str | None, dict[str, set[str]], list[int]]] = {}
    for name, entry in whole["files"].items():
        if name in changed:
            continue
        lines = {k: v - ran for k, v in _named(entry, whole["tests"]).items()}
        files[name] = (entry["sha256"], lines, entry["import_lines"])
    for name, entry in fresh["files"].items():
        sha, lines, import_lines = files.get(name, (entry["sha256"], {}, entry["import_lines"]))
        for line, names in _named(entry, fresh["tests"]).items():
            lines.setdefault(line, set()).update(names)
        files[name] = (sha, lines, import_lines)
    ids: dict[str, int] = {}
    result = {
        name: ImpactFile(sha256=sha, lines=_numbered(lines, ids), import_lines=import_lines)
        for name, (sha, lines, import_lines) in sorted(files.items())
    }
    return ImpactArtifact(
        base_run_id=whole["base_run_id"],
        per_test=whole["per_test"] or fresh["per_test"],
        config=whole["config"],
        tests=sorted(ids, key=ids.__getitem__),
        files=result,
    )
