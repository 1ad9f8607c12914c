"""The coverage gates as pure functions over coverage.py's own numbers: target, increase
over the baseline, per-file floors (several globs, each its own floor; files tested this
phase; files new this phase) and diff coverage. Every comparison uses coverage.py's
`should_fail_under` at the project's display precision, so a gate agrees with
`coverage report --fail-under`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coverage.exceptions import ConfigError as CoverageConfigError
from coverage.files import GlobMatcher
from coverage.results import should_fail_under

from tasks.artifacts.coverage import DiffCoverage, DiffFile
from tasks.gates import FAIL, NOT_APPLICABLE, PASS, Gate

# "decreased by 0.00" must never fail a no-decrease gate: increases are compared at 2 decimals.
INCREASE_TOLERANCE = 0.005


def precision_of(display: str) -> int:
    """The project's report precision, read off coverage.py's own formatted total."""
    return len(display.split(".", 1)[1]) if "." in display else 0


def fmt_pct(value: float | None, precision: int) -> str:
    return "n/a" if value is None else f"{value:.{precision}f}%"


def target_gate(name: str, total: float, target: float | None, precision: int, what: str) -> Gate:
    if target is None:
        return Gate(name, "not set", fmt_pct(total, precision), NOT_APPLICABLE)
    failed = should_fail_under(total, target, precision)
    detail = (
        f"{what} is {fmt_pct(total, precision)}, below the {target:g}% required" if failed else ""
    )
    return Gate(
        name, f">= {target:g}%", fmt_pct(total, precision), FAIL if failed else PASS, detail
    )


def increase_gate(increase: float | None, minimum: float | None, baseline_note: str) -> Gate:
    name = "coverage increase"
    if minimum is None:
        shown = "n/a" if increase is None else f"{increase:+.2f}"
        return Gate(name, "not set", shown, NOT_APPLICABLE)
    if increase is None:
        return Gate(
            name,
            f">= +{minimum:g}",
            "n/a",
            FAIL,
            "no baseline: set coverage_baseline or record a previous phase",
        )
    ok = increase >= minimum - INCREASE_TOLERANCE
    detail = (
        ""
        if ok
        else (
            f"coverage rose {increase:+.2f} points over {baseline_note}, "
            f"less than the +{minimum:g} required"
        )
    )
    return Gate(name, f">= +{minimum:g}", f"{increase:+.2f}", PASS if ok else FAIL, detail)


def rows_floor_gate(
    name: str, chosen: Sequence[Mapping[str, Any]], floor: float, precision: int, empty: Gate
) -> Gate:
    """Every chosen file at or above `floor`; `empty` is the verdict when none was chosen."""
    if not chosen:
        return empty
    below = [r for r in chosen if should_fail_under(r["percent"], floor, precision)]
    detail = "; ".join(f"{r['file']} {r['display']}%" for r in below[:5])
    more = f" and {len(below) - 5} more" if len(below) > 5 else ""
    return Gate(
        f"{name} ({len(chosen)} file{'s' if len(chosen) != 1 else ''})",
        f">= {floor:g}% each",
        f"{len(chosen) - len(below)}/{len(chosen)} meet it",
        FAIL if below else PASS,
        f"below the floor: {detail}{more}" if below else "",
    )


def matching(rows: Sequence[Mapping[str, Any]], patterns: Sequence[str]) -> list[Mapping[str, Any]]:
    """The rows whose file matches a glob as coverage.py's own include/omit read it: `*` and
    `?` stay within a folder, `**/` spans folders, a trailing `/*` takes everything under a
    folder, and a glob without a slash matches a file name anywhere."""
    matcher = GlobMatcher([p.removeprefix("./") for p in patterns], "files")
    return [r for r in rows if matcher.match(r["file"])]


def bad_glob_gate(name: str, target: str, patterns: Sequence[str], key: str) -> Gate | None:
    """A failing gate for the first glob coverage.py refuses (e.g. "a**"), else None."""
    for pattern in patterns:
        try:
            GlobMatcher([pattern])
        except CoverageConfigError as exc:
            why = f"{pattern!r} in {key} is not a glob coverage.py accepts: {exc}"
            return Gate(name, target, "bad glob", FAIL, why)
    return None


def floor_gates(
    rows: Sequence[Mapping[str, Any]], floor: float | None, patterns: Sequence[str], precision: int
) -> list[Gate]:
    """`file_min_coverage` over the files matching `files` (all files when it is empty)."""
    if floor is None:
        return []
    if bad := bad_glob_gate("file floor", f">= {floor:g}%", patterns, "files"):
        return [bad]
    chosen = matching(rows, patterns) if patterns else list(rows)
    empty = Gate(
        "file floor",
        f">= {floor:g}%",
        "no file",
        FAIL,
        f"no measured file matches files = {list(patterns)}",
    )
    return [rows_floor_gate("file floor", chosen, floor, precision, empty)]


def glob_floor_gates(
    rows: Sequence[Mapping[str, Any]], floors: Mapping[str, float], precision: int
) -> list[Gate]:
    """`file_floors`: each glob its own floor and its own gate; a glob matching nothing fails
    (a typo must not pass)."""
    gates = []
    for pattern, floor in floors.items():
        name, target = f"file floor {pattern}", f">= {floor:g}%"
        why = f"no measured file matches {pattern!r} in file_floors"
        empty = Gate(name, target, "no file", FAIL, why)
        gates.append(
            bad_glob_gate(name, target, [pattern], "file_floors")
            or rows_floor_gate(name, matching(rows, [pattern]), floor, precision, empty)
        )
    return gates


def listed(files: Sequence[str], limit: int = 3) -> str:
    return ", ".join(files[:limit]) + (
        f" and {len(files) - limit} more" if len(files) > limit else ""
    )


def set_floor_gate(
    name: str,
    rows: Sequence[Mapping[str, Any]],
    files: Sequence[str] | None,
    floor: float | None,
    precision: int,
    why_unknown: str,
    none_means: str,
) -> Gate | None:
    """A floor over a set of files phasegate works out (tested this phase, new this phase).
    `files` None: the set is unknown, which fails closed with `why_unknown`."""
    if floor is None:
        return None
    if files is None:
        return Gate(name, f">= {floor:g}% each", "unknown", FAIL, why_unknown)
    chosen = [r for r in rows if r["file"] in set(files)]
    empty = Gate(name, f">= {floor:g}% each", "no file", NOT_APPLICABLE, none_means)
    return rows_floor_gate(name, chosen, floor, precision, empty)


# --- diff coverage ----------------------------------------------------------------------------


def diff_coverage(
    report_files: Mapping[str, Mapping[str, Any]],
    changed: Mapping[str, set[int] | None],
) -> DiffCoverage:
    """The changed production lines that coverage counts as statements, and how many of them
    the tests executed, from coverage.py's own JSON report (no XML, no second tool).

    `report_files`: coverage's per-file data, keyed by project-relative path; `changed`:
    project-relative production file -> changed lines (None: the whole file is new).
    Changed Python files coverage did not measure are listed, so a path mismatch is visible.
    """
    covered = coverable = 0
    files: list[DiffFile] = []
    unmeasured = []
    for name, lines in sorted(changed.items()):
        data = report_files.get(name)
        if data is None:
            if name.endswith(".py"):
                unmeasured.append(name)
            continue
        executed = set(data.get("executed_lines", []))
        statements = executed | set(data.get("missing_lines", []))
        here = statements if lines is None else statements & lines
        if here:
            hit = here & executed
            covered += len(hit)
            coverable += len(here)
            files.append(
                {
                    "file": name,
                    "covered": len(hit),
                    "coverable": len(here),
                    "missed_lines": sorted(here - executed),
                }
            )
    return {
        "covered": covered,
        "coverable": coverable,
        "percent": None if not coverable else 100.0 * covered / coverable,
        "files": files,
        "unmeasured": unmeasured,
    }


def diff_gate(diff: Mapping[str, Any] | None, floor: float | None, precision: int) -> Gate:
    name = "diff coverage"
    target = "not set" if floor is None else f">= {floor:g}%"
    if diff is None:
        if floor is None:
            return Gate(name, target, "n/a", NOT_APPLICABLE)
        return Gate(
            name,
            target,
            "unknown",
            FAIL,
            "no base commit to diff against: set base_ref or record a previous phase",
        )
    if not diff["coverable"]:
        unmeasured = diff["unmeasured"]
        note = (
            f"; changed Python files coverage did not measure: {listed(unmeasured)} "
            "(outside `source`, or a path mismatch)"
            if unmeasured
            else ""
        )
        return Gate(
            name,
            target,
            "no coverable changed lines",
            NOT_APPLICABLE,
            f"no changed production line is a statement coverage measures{note}",
        )
    percent = float(diff["percent"])
    actual = f"{percent:.{precision}f}% ({diff['covered']}/{diff['coverable']} lines)"
    if floor is None:
        return Gate(name, target, actual, NOT_APPLICABLE)
    failed = should_fail_under(percent, floor, precision)
    worst = sorted(diff["files"], key=lambda f: -len(f["missed_lines"]))
    detail = "; ".join(
        f"{f['file']} lines {', '.join(map(str, f['missed_lines'][:8]))}"
        for f in worst[:3]
        if f["missed_lines"]
    )
    return Gate(
        name,
        target,
        actual,
        FAIL if failed else PASS,
        f"changed lines no test executes: {detail}" if failed else "",
    )
