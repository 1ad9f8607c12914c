"""Check phasegate's coverage numbers and impact index against coverage.py's own tools.

Runs `phasegate run` and `phasegate coverage` on a project, then asks coverage.py itself,
on the same data file:
  - `coverage report --format=total` must equal phasegate's total;
  - `coverage json --show-contexts` lists, per line, the contexts that executed it; for every
    line of the chosen file (or of every file with --all), the tests the impact index lists
    must be exactly the tests in those contexts.

    python benchmarks/check_coverage_agreement.py PROJECT [--file boltons/strutils.py] [--all]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def phasegate(project: Path, step: str) -> None:
    argv = [sys.executable, "-m", "tasks", "--project", str(project), step, "--venv", "none"]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"phasegate {step} exited {done.returncode}:\n{done.stdout[-2000:]}")


def coverage(project: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--file", help="project-relative source file to compare line by line")
    parser.add_argument("--all", action="store_true", help="compare every measured file")
    args = parser.parse_args()
    project = args.project.resolve()
    phasegate(project, "run")
    phasegate(project, "coverage")
    reports = project / ".phasegate/reports"
    data_file = reports / "coverage/.coverage"
    ours = json.loads((reports / "coverage-gates.json").read_text())
    theirs = coverage(project, "report", "--format=total", f"--data-file={data_file}").strip()
    print(f"total: phasegate {ours['display']}, coverage report {theirs}%")
    ok = ours["display"] == f"{theirs}%"

    index = json.loads((reports / "impact.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "contexts.json"
        coverage(project, "json", "--show-contexts", f"--data-file={data_file}", "-o", str(out))
        report = json.loads(out.read_text())
    files = sorted(index["files"]) if args.all else [args.file or sorted(index["files"])[0]]
    compared = mismatched = 0
    for name in files:
        contexts = report["files"][name]["contexts"]
        lines = index["files"][name]["lines"]
        for line in sorted(set(contexts) | set(lines), key=int):
            expected = sorted({c.rsplit("|", 1)[0] for c in contexts.get(line, []) if c})
            listed = sorted(index["tests"][i] for i in lines.get(line, []))
            compared += 1
            if listed != expected:
                mismatched += 1
                print(f"  {name}:{line}: index {listed[:3]}... coverage {expected[:3]}...")
    busiest = max(
        (
            (name, line, len(ids))
            for name in files
            for line, ids in index["files"][name]["lines"].items()
        ),
        key=lambda t: t[2],
        default=None,
    )
    print(
        f"impact index vs coverage contexts: {compared} lines in {len(files)} file(s), "
        f"{mismatched} differ"
        + (
            f"; e.g. {busiest[0]}:{busiest[1]} is run by {busiest[2]} tests in both"
            if busiest
            else ""
        )
    )
    return 0 if ok and not mismatched else 1


if __name__ == "__main__":
    sys.exit(main())
