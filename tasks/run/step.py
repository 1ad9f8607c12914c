"""The `run` step: one full, instrumented suite run with every test's outcome recorded.

The same process also measures coverage (with per-test contexts), so the coverage step needs no
run of its own, and it counts as the first of the stability runs.
"""

from __future__ import annotations

import datetime as dt
import glob
import sys
import uuid
from pathlib import Path
from typing import cast

from tasks.artifacts import COVERAGE_FILES, Artifacts, store
from tasks.artifacts.run import RUN, RecordJSON, RunArtifact, RunCoverage
from tasks.artifacts.store import make_owned_dir, remove_written
from tasks.config import PhaseConfig
from tasks.console import Console
from tasks.orders import FILE
from tasks.pytest_command import CoverageSpec, Invocation
from tasks.pytest_runner import check_ran, run_pytest
from tasks.results import format_counts, format_rate, pass_rate, summarise_record
from tasks.shards.select import record_split
from tasks.sources import coverage_sources, starts_early


def _coverage_spec(config: PhaseConfig, console: Console) -> tuple[CoverageSpec | None, str]:
    """What the run measures (None: nothing could be found), and where that came from."""
    arts = Artifacts(config.reports_dir)
    sources, origin = coverage_sources(config)
    coverage = None
    if sources is not None:
        # Never read a stale measurement, and never delete what phasegate did not write:
        # reports_dir may be a folder of the project's own (`docs`, with a docs/coverage/).
        remove_written(arts.coverage_dir, COVERAGE_FILES)
        make_owned_dir(arts.coverage_dir)
        make_owned_dir(arts.coverage_html)
        coverage = CoverageSpec(
            sources=tuple(sources), data_file=arts.coverage_data, early=starts_early(config)
        )
    if sources is None:
        measured = f"coverage of nothing ({origin})"
    elif sources:
        measured = f"coverage of {', '.join(sources)} ({origin})"
    else:
        measured = "coverage as the project's own coverage config says"
    tests = ", ".join(config.tests) or "what plain pytest collects (testpaths, else discovery)"
    console.step(f"run: {tests}, file order, {measured}")
    return coverage, origin


def measured_anything(data_file: Path) -> bool:
    """The data file, or the per-process pieces a project's `parallel = true` leaves."""
    return data_file.is_file() or any(data_file.parent.glob(glob.escape(data_file.name) + ".*"))


def _coverage_json(coverage: CoverageSpec, arts: Artifacts) -> RunCoverage:
    return RunCoverage(
        sources=list(coverage.sources),
        data_file=str(coverage.data_file),
        json_report=str(arts.coverage_report_json),
        html_report=str(arts.coverage_html),
        impact_index=str(arts.impact_json),
        contexts=coverage.contexts,
        core="ctrace" if coverage.contexts else "default",
    )


def run_step(
    config: PhaseConfig, python: Path, console: Console, tmpdir: Path | None = None
) -> RunArtifact:
    """Run the suite once with coverage; write run.json, junit.xml and run.log. `tmpdir`: the
    run has company (stability runs beside it): its own temporary folder, output to the log
    only."""
    arts = Artifacts(config.reports_dir)
    coverage, origin = _coverage_spec(config, console)
    started = dt.datetime.now(dt.UTC)
    result = run_pytest(
        config,
        python,
        Invocation(
            label="run",
            order=FILE,
            record=arts.run_record,
            log=arts.run_log,
            junit=arts.junit_xml,
            coverage=coverage,
            echo=tmpdir is None,
            tmpdir=tmpdir,
        ),
        console,
    )
    record_split(config, result.record, console)  # a shard job's split: shard.json
    record = check_ran(result, config, arts.run_log)
    run_id = uuid.uuid4().hex
    arts.impact_json.unlink(missing_ok=True)
    # A shard job's reports would be thrown away: `combine` makes them from the merged data.
    if coverage is not None and measured_anything(coverage.data_file) and not config.shard:
        # Imported here, not at the top: `python -m tasks.run.reporter` imports tasks.run
        # first, and a module-level import would load the reporter twice (runpy warns).
        from tasks.run import reporter

        reporter.start(config, arts, run_id)
    tests, counts = summarise_record(record)
    data: RunArtifact = {
        "run_id": run_id,
        "phase": config.phase,
        "started": started.isoformat(timespec="seconds"),
        "duration": round(result.duration, 3),
        "exit_code": result.exit_code,
        "python": sys.version.split()[0],
        "pytest_version": record["pytest_version"],
        "rootdir": record["rootdir"],
        "order": str(FILE),
        "replay": result.replay,
        "counts": counts,
        "pass_rate": pass_rate(counts),
        "test_order": record["order"],
        "coverage": None if coverage is None else _coverage_json(coverage, arts),
        "coverage_note": origin,
        "tests": [cast("RecordJSON", t.to_json()) for t in tests],
    }
    store.write(arts.run_json, RUN, data)
    console.step(
        f"run: {format_counts(counts)} in {result.duration:.1f}s, "
        f"pass rate {format_rate(data['pass_rate'])}"
    )
    return data
