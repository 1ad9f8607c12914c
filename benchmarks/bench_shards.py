"""Shards on one machine: the largest shard's time against the whole suite's, and the merged
verdict against one machine's; then pytest-xdist inside a job against none.

    python benchmarks/bench_shards.py PROJECT_DIR [--shards 2 4] [--rounds 2]
        [--options "--venv none"]

Run it with the test environment's interpreter and `venv = "none"` (phasegate importable
there, e.g. PYTHONPATH=<phasegate checkout>). Per round, one after another: the whole suite
(`phasegate run`), each shard job of each N (`phasegate run --shard K/N`: its pytest process
collects the whole suite and keeps its share), `phasegate combine`, and the suite under
`pytest_args = ["-n", "2"]`. Rounds alternate the order. Shards are balanced by the previous
whole run's durations (copied to a file, as CI caches one). Checks: the combined counts,
per-test outcomes and coverage totals equal the whole run's, and the impact index under xdist
has per-test contexts.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(command, cwd=cwd, stdout=out, stderr=out, check=False)
    return time.perf_counter() - started, done.returncode


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def verdict(reports: Path) -> dict[str, Any]:
    """What must not change when the suite is sharded: counts, outcomes, coverage, impact."""
    run = read(reports / "run.json")
    totals = read(reports / "coverage" / "coverage.json")["totals"]
    impact = read(reports / "impact.json")
    lines = {
        (file, line, impact["tests"][i])
        for file, entry in impact["files"].items()
        for line, ids in entry["lines"].items()
        for i in ids
    }
    return {
        "counts": run["counts"],
        "outcomes": {t["nodeid"]: t["outcome"] for t in run["tests"]},
        "coverage": {k: totals[k] for k in ("covered_lines", "num_statements", "percent_covered")},
        "impact_pairs": len(lines),
        "per_test": impact["per_test"],
        "impact_tests": len(impact["tests"]),
    }


def compare(name: str, got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("counts", "coverage"):
        if got[key] != want[key]:
            problems.append(f"{name}: {key} {got[key]} != whole run's {want[key]}")
    differ = [n for n in want["outcomes"] if got["outcomes"].get(n) != want["outcomes"][n]]
    if differ or got["outcomes"].keys() != want["outcomes"].keys():
        problems.append(f"{name}: {len(differ)} outcomes differ, e.g. {differ[:3]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("project", type=Path)
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--options", default="", help="extra phasegate options, as one line")
    args = parser.parse_args()
    project = args.project.resolve()
    bench = project / ".phasegate" / "bench"
    shutil.rmtree(bench, ignore_errors=True)
    bench.mkdir(parents=True)
    log = bench / "bench.log"
    durations = bench / "durations.json"
    base = [sys.executable, "-m", "tasks", "--project", str(project), "-q", "--runs", "1"]
    base += ["--rerun-budget", "0", *shlex.split(args.options)]

    def phasegate(name: str, *extra: str) -> tuple[float, int]:
        return timed([*base, "--reports-dir", str(bench / name), *extra], project, log)

    times: dict[str, list[float]] = {}
    problems: list[str] = []
    summaries: dict[str, dict[str, Any]] = {}
    for round_ in range(args.rounds):
        plan = ["whole", *(f"shards-{n}" for n in args.shards), "xdist"]
        for name in plan if round_ % 2 == 0 else plan[::-1]:
            if name == "whole" or (name.startswith("shards") and not durations.is_file()):
                seconds, _ = phasegate("whole", "run")
                times.setdefault("whole", []).append(seconds)
                times.setdefault("whole pytest", []).append(
                    read(bench / "whole" / "run.json")["duration"]
                )
                shutil.copyfile(bench / "whole" / "run.json", durations)
                summaries["whole"] = verdict(bench / "whole")
                if name == "whole":
                    continue
            if name == "xdist":
                seconds, _ = phasegate("xdist", "run", "--pytest-args", "-n 2")
                times.setdefault("xdist", []).append(seconds)
                summaries["xdist"] = verdict(bench / "xdist")
                continue
            n = int(name.split("-")[1])
            folder = bench / name
            shutil.rmtree(folder, ignore_errors=True)
            jobs = [
                phasegate(name, "run", "--shard", f"{k}/{n}", "--durations", str(durations))[0]
                for k in range(1, n + 1)
            ]
            times.setdefault(f"{name} largest", []).append(max(jobs))
            pytest_times = [read(f / "run.json")["duration"] for f in (folder / "shards").iterdir()]
            times.setdefault(f"{name} largest pytest", []).append(max(pytest_times))
            times.setdefault(f"{name} all", []).append(sum(jobs))
            seconds, _ = phasegate(name, "combine")
            times.setdefault(f"{name} combine", []).append(seconds)
            summaries[name] = verdict(folder)
    whole = statistics.median(times["whole"])
    print(f"project {project}; rounds {args.rounds}; log {log}")
    for key, values in times.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        ratio = statistics.median(values) / whole
        print(
            f"  {key:<22} median {statistics.median(values):7.1f}s ({shown}) = {ratio:.2f} x whole"
        )
    for n in args.shards:
        largest = statistics.median(times[f"shards-{n} largest"]) / whole
        target = 1 / n + 0.10
        print(f"  {n} shards: largest / whole = {largest:.3f} (target <= {target:.3f}) "
              + ("ok" if largest <= target else "OVER"))  # fmt: skip
        in_pytest = statistics.median(times[f"shards-{n} largest pytest"]) / statistics.median(
            times["whole pytest"]
        )
        print(f"  {n} shards, pytest processes only (run.json durations): {in_pytest:.3f}")
        problems += compare(f"shards-{n}", summaries[f"shards-{n}"], summaries["whole"])
    for name, summary in summaries.items():
        print(f"  {name:<10} counts {summary['counts']} coverage {summary['coverage']} "
              f"impact: per_test={summary['per_test']}, {summary['impact_tests']} tests, "
              f"{summary['impact_pairs']} (line, test) pairs")  # fmt: skip
    if not summaries["xdist"]["per_test"] or not summaries["xdist"]["impact_pairs"]:
        problems.append("xdist: the impact index has no per-test contexts")
    for problem in problems:
        print("  MISMATCH", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
