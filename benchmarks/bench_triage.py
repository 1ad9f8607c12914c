"""Triage accuracy on a labeled corpus of planted failures in a real project.

Plants every failure of benchmarks/triage_corpus.py into a fresh copy of boltons 26.2.0 with a
real git history, runs `phasegate validate` on it, and prints how many failures got their
labeled category and how many planted flaky tests the stability step found.

    pip download --no-deps --no-binary :all: boltons==26.2.0 && tar xzf boltons-26.2.0.tar.gz
    python benchmarks/bench_triage.py boltons-26.2.0 [--mode base|blame|uncommitted|all]

Modes: `base` commits the plants on top of upstream and passes base_ref; `blame` commits them
but gives no base (git blame must decide); `uncommitted` leaves them in the working tree with
no base; `nogit` has no repository at all (no change evidence: what is left is where and what
was raised, and the runs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from triage_corpus import FLAKY, PLANTS, Plant

REPO = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(
    ".git", ".nox", "reports", "__pycache__", ".pytest_cache", ".planted-*", "*.egg-info"
)
GIT = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def plant(project: Path, plants: tuple[Plant, ...]) -> None:
    for p in plants:
        for edit in p.edits:
            path = project / edit.path
            if edit.old is None:
                text = path.read_text(encoding="utf-8") if path.exists() else ""
                path.write_text(text + edit.new, encoding="utf-8")
                continue
            text = path.read_text(encoding="utf-8")
            if text.count(edit.old) != 1:
                raise SystemExit(
                    f"plant {p.name}: {edit.path} holds {edit.old!r} {text.count(edit.old)} "
                    "times, expected once; is this boltons 26.2.0?"
                )
            path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def prepare(source: Path, workdir: Path, mode: str) -> tuple[Path, str]:
    project = workdir / f"boltons-{mode}"
    shutil.copytree(source, project, ignore=IGNORED)
    if mode == "nogit":
        plant(project, PLANTS)
        return project, ""
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "boltons 26.2.0 as released")
    base = git(project, "rev-parse", "HEAD")
    plant(project, PLANTS)
    if mode != "uncommitted":
        git(project, "add", "-A")
        git(project, "commit", "-qm", "phase work: new tests and changes")
    return project, base


def validate(project: Path, base: str | None, runs: int) -> float:
    argv = [sys.executable, "-m", "tasks", "--project", str(project), "validate"]
    argv += ["--runs", str(runs)]  # the default test environment: .nox/phasegate, as users get
    if base is not None:
        argv += ["--base-ref", base]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"phasegate exited {done.returncode}:\n{done.stdout[-3000:]}")
    return time.perf_counter() - started


def score(project: Path) -> dict[str, Any]:
    reports = project / ".phasegate/reports"
    triage = json.loads((reports / "triage.json").read_text(encoding="utf-8"))
    stability = json.loads((reports / "stability.json").read_text(encoding="utf-8"))
    verdicts = {f["nodeid"]: f for f in triage["failures"]}
    flaky_found = {f["nodeid"] for f in stability["flaky"]}
    labels = {nodeid: p for p in PLANTS for nodeid in p.failing}
    rows, confusion = [], Counter()
    correct = total = 0
    for nodeid, p in labels.items():
        verdict = verdicts.get(nodeid)
        if verdict is None:
            rows.append([p.name, nodeid, p.category, "did not fail", ""])
            continue
        total += 1
        ok = verdict["category"] == p.category
        correct += ok
        confusion[(p.category, verdict["category"])] += 1
        mark = "" if ok else "WRONG"
        rows.append(
            [p.name, nodeid, p.category, f"{verdict['category']} ({verdict['confidence']})", mark]
        )
    unexpected = sorted(set(verdicts) - set(labels))
    flaky_planted = [n for p in PLANTS if p.category == FLAKY for n in p.failing]
    return {
        "rows": rows,
        "correct": correct,
        "total": total,
        "confusion": confusion,
        "unexpected": unexpected,
        "flaky_found": sum(n in flaky_found for n in flaky_planted),
        "flaky_failed": sum(n in verdicts for n in flaky_planted),
        "flaky_planted": len(flaky_planted),
        "rerun_seconds": stability.get("rerun_seconds"),
        "reruns": {n: (s["kind"], s["reruns"]) for n, s in stability["suspects"].items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path, help="extracted boltons 26.2.0 sdist")
    parser.add_argument(
        "--mode", choices=["base", "blame", "uncommitted", "nogit", "all"], default="all"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="print every planted failure")
    args = parser.parse_args()
    modes = ["base", "blame", "uncommitted", "nogit"] if args.mode == "all" else [args.mode]
    summary = []
    with tempfile.TemporaryDirectory(prefix="phasegate-corpus-") as tmp:
        for mode in modes:
            project, base = prepare(args.project.resolve(), Path(tmp), mode)
            seconds = validate(project, base if mode == "base" else None, args.runs)
            result = score(project)
            print(
                f"\n== mode {mode}: {len(PLANTS)} plants, {seconds:.0f}s "
                f"(reruns {result['rerun_seconds']}s)"
            )
            if args.verbose:
                for nodeid, (kind, reruns) in result["reruns"].items():
                    print(f"  {reruns:3d} reruns  {kind:18s} {nodeid}")
            wrong = [r for r in result["rows"] if r[4] or r[3] == "did not fail"]
            shown = result["rows"] if args.verbose else wrong
            if shown:
                print(tabulate(shown, headers=["plant", "test", "label", "phasegate", ""]))
            if result["unexpected"]:
                print("failures no plant explains:", ", ".join(result["unexpected"]))
            accuracy = 100.0 * result["correct"] / result["total"] if result["total"] else 0.0
            detection = (
                100.0 * result["flaky_found"] / result["flaky_failed"]
                if result["flaky_failed"]
                else 0.0
            )
            summary.append(
                [
                    mode,
                    f"{result['correct']}/{result['total']}",
                    f"{accuracy:.1f}%",
                    f"{result['flaky_found']}/{result['flaky_failed']} "
                    f"({result['flaky_planted']} planted)",
                    f"{detection:.0f}%",
                    f"{seconds:.0f}s",
                ]
            )
    print()
    print(
        tabulate(
            summary,
            headers=[
                "mode",
                "right category",
                "accuracy",
                "flaky found / flaky that failed",
                "flaky detection",
                "validate time",
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
