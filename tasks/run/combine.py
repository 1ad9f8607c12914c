"""The `run` step's half of `phasegate combine`: the shards' recorder outputs merged into one
(each module that failed to collect reported once), run.json made from it exactly as the run
step makes it, junit.xml and run.log joined, and the coverage data of every shard handed to
coverage.py's own combine (the background reporter, with the project's [paths]); a shard that
ran in another checkout has its paths mapped to this one first."""

from __future__ import annotations

import glob
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from coverage import CoverageData

from tasks.artifacts import COVERAGE_FILES, Artifacts, store, write_text_atomic
from tasks.artifacts.run import RUN, RecordJSON, RunArtifact, load_run
from tasks.artifacts.shard import ShardArtifact
from tasks.artifacts.store import make_owned_dir, remove_written
from tasks.config import PhaseConfig
from tasks.results import pass_rate, summarise_record
from tasks.shards.records import join_logs, merge_records, shard_record
from tasks.shards.remap import map_path, remap

Shard = tuple[Path, ShardArtifact]


def join_junit(files: Sequence[Path], target: Path) -> None:
    """The shards' junit.xml files as one: their <testsuite> elements in one <testsuites>."""
    root = ET.Element("testsuites")
    for file in files:
        if not file.is_file():
            continue
        tree = ET.parse(file).getroot()  # noqa: S314 (pytest wrote it, in a shard job)
        root.extend(tree.iter("testsuite") if tree.tag == "testsuites" else [tree])
    write_text_atomic(target, ET.tostring(root, encoding="unicode", xml_declaration=True))


def merge_coverage(shards: Sequence[Shard], arts: Artifacts, project: Path) -> bool:
    """Each shard's data as one piece `.coverage.shard-K-of-N` with its paths mapped to this
    checkout; the reporter combines the pieces as `coverage combine` does, [paths] and all."""
    remove_written(arts.coverage_dir, COVERAGE_FILES)
    make_owned_dir(arts.coverage_dir)
    make_owned_dir(arts.coverage_html)
    found = False
    for folder, shard in shards:
        data = Artifacts(folder).coverage_data
        pieces = sorted(data.parent.glob(glob.escape(data.name) + ".*"))
        files = [data] if data.is_file() else pieces
        piece = CoverageData(basename=f"{arts.coverage_data}.shard-{folder.name}")
        for file in files:
            part = CoverageData(basename=str(file))
            part.read()
            piece.update(part, map_path=map_path(shard["project"], str(project)))
            found = True
        if files:
            piece.write()
    return found


def combine_run(config: PhaseConfig, shards: Sequence[Shard]) -> RunArtifact:
    """Write the merged run-record.json, run.json, junit.xml, run.log and coverage data."""
    arts = Artifacts(config.reports_dir)
    project = str(config.project)
    runs = [cast("RunArtifact", remap(load_run(f), s["project"], project)) for f, s in shards]
    collected = shards[0][1]["collected"]
    records = [shard_record(Artifacts(f).run_record, s, config.project) for f, s in shards]
    record = merge_records(records, collected)
    write_text_atomic(arts.run_record, json.dumps(record))
    join_logs([(f.name, Artifacts(f).run_log) for f, _ in shards], arts.run_log)
    join_junit([Artifacts(f).junit_xml for f, _ in shards], arts.junit_xml)
    run_id = uuid.uuid4().hex
    arts.impact_json.unlink(missing_ok=True)
    measured = merge_coverage(shards, arts, config.project)
    first = runs[0]
    coverage = first["coverage"]
    if coverage is not None:
        coverage = {
            **coverage,
            "data_file": str(arts.coverage_data),
            "json_report": str(arts.coverage_report_json),
            "html_report": str(arts.coverage_html),
            "impact_index": str(arts.impact_json),
        }
    if coverage is not None and measured:
        from tasks.run import reporter  # as run.step does: never at import time

        reporter.start(config, arts, run_id)
    tests, counts = summarise_record(record)
    data: RunArtifact = {
        **first,
        "run_id": run_id,
        "duration": max(r["duration"] for r in runs),  # the jobs ran side by side
        "exit_code": max(r["exit_code"] for r in runs),
        "rootdir": record["rootdir"],
        "replay": " ; ".join(r["replay"] for r in runs),
        "counts": counts,
        "pass_rate": pass_rate(counts),
        "test_order": record["order"],
        "coverage": coverage,
        "tests": [cast("RecordJSON", t.to_json()) for t in tests],
    }
    store.write(arts.run_json, RUN, data)
    return data
