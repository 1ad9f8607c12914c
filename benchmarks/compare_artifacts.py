"""Compare the artifacts of two phasegate runs of the same project: behaviour unchanged?

Run phasegate (old and new) on two copies of one project with the same seed, then:

    python benchmarks/compare_artifacts.py OLD_PROJECT NEW_PROJECT \
        [--old-reports reports/phasegate] [--new-reports .phasegate/reports]

Every JSON artifact and the summary are compared after dropping what differs on every run
(run ids, timestamps, durations, absolute paths of the two copies, the coverage HTML). Prints
one line per artifact and each difference; exits 1 when any artifact differs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

JSON_ARTIFACTS = (
    "run.json",
    "stability.json",
    "triage.json",
    "coverage-gates.json",
    "gates.json",
    "impact.json",
    "trending.json",
)
VOLATILE = {"run_id", "base_run_id", "started", "duration", "rerun_seconds", "date", "seed"}
TIMES = re.compile(r"\b\d+(\.\d+)?s\b")  # "12.3s" in gate values and summary tables
REPORTS = re.compile(r"<project>/(reports/phasegate|\.phasegate/reports)")  # moved in 0.2
PLUGIN = re.compile(r"PYTHONPATH=\S*/tasks/pytest_plugin")  # where each phasegate is installed


def normalise(value: Any, project: str) -> Any:
    """`value` without the fields that change on every run, paths relative to the project."""
    if isinstance(value, dict):
        return {k: normalise(v, project) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [normalise(v, project) for v in value]
    if isinstance(value, str):
        value = PLUGIN.sub("PYTHONPATH=<plugin>", value.replace(project, "<project>"))
        value = REPORTS.sub("<project>/<reports>", value)
        value = re.sub(r"-{3,}", "---", re.sub(r" +", " ", value))  # table widths follow times
        return TIMES.sub("<time>", value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def impact_by_name(data: dict[str, Any]) -> dict[str, Any]:
    """The impact index with test names for indexes: the index order is not part of it."""
    tests = data.pop("tests")
    for entry in data["files"].values():
        entry["lines"] = {n: sorted(tests[i] for i in ids) for n, ids in entry["lines"].items()}
    return data


def differences(old: Any, new: Any, where: str = "$") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = [f"{where}.{k}: only in old" for k in old.keys() - new.keys()]
        found += [f"{where}.{k}: only in new" for k in new.keys() - old.keys()]
        for key in old.keys() & new.keys():
            found += differences(old[key], new[key], f"{where}.{key}")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    return [] if old == new else [f"{where}: {str(old)[:80]!r} != {str(new)[:80]!r}"]


def artifact(project: Path, reports: str, name: str) -> Path:
    """Where a run left `name`: its reports folder, or .phasegate/ for the history (since
    the history moved out of the disposable reports folder)."""
    path = project / reports / name
    return path if path.is_file() else project / ".phasegate" / name


def compare(old_project: Path, new_project: Path, old_reports: str, new_reports: str) -> int:
    changed = 0
    old_dir, new_dir = str(old_project.resolve()), str(new_project.resolve())
    for name in JSON_ARTIFACTS:
        old_file = artifact(old_project, old_reports, name)
        new_file = artifact(new_project, new_reports, name)
        if not old_file.is_file() or not new_file.is_file():
            print(f"{name}: missing in {'old' if not old_file.is_file() else 'new'}")
            changed += 1
            continue
        old = normalise(json.loads(old_file.read_text()), old_dir)
        new = normalise(json.loads(new_file.read_text()), new_dir)
        if name == "impact.json":
            old, new = impact_by_name(old), impact_by_name(new)
        found = differences(old, new)
        print(f"{name}: {'same' if not found else f'{len(found)} difference(s)'}")
        for line in found[:20]:
            print(f"    {line}")
        changed += bool(found)
    old_md = normalise((old_project / old_reports / "PHASE-SUMMARY.md").read_text(), old_dir)
    new_md = normalise((new_project / new_reports / "PHASE-SUMMARY.md").read_text(), new_dir)
    same_md = old_md == new_md
    print(f"PHASE-SUMMARY.md: {'same' if same_md else 'differs'}")
    return 0 if changed == 0 and same_md else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--old-reports", default="reports/phasegate")
    parser.add_argument("--new-reports", default=".phasegate/reports")
    args = parser.parse_args()
    return compare(args.old, args.new, args.old_reports, args.new_reports)


if __name__ == "__main__":
    sys.exit(main())
