"""One frozen PhaseConfig, layered: defaults < [tool.phasegate] < PHASEGATE_* env < command line.

Every option is defined once in OPTIONS (name, kind, default, help); the CLI flags, the
environment variables and the README table are all derived from it.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasks.errors import ConfigError

VENV_CHOICES = ("auto", "uv", "virtualenv", "none")
ORDER_CHOICES = ("file", "reverse", "shuffle")


@dataclasses.dataclass(frozen=True)
class Option:
    """One config key: how it is parsed, its default and its help line.

    `help` is shown by `--help` and in the README's table (tasks/options_doc.py), so it may use
    `code` spans but no bare `<`, `*` or `|`, which markdown would eat.
    """

    name: str
    kind: str  # str | list | int | percent | number | duration | choice | orders | floors
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    # For the docs only: what leaving a key with a None default unset does ("" = "not set").
    unset: str = ""

    @property
    def env_var(self) -> str:
        return f"PHASEGATE_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option("phase", "str", "current", "name of the phase, e.g. 19-coverage-push-and-bug-fixes"),
    Option("tests", "list", ["tests"], "test paths handed to pytest"),
    Option("pytest_args", "list", [], "extra pytest arguments for every run"),
    Option(
        "pythonpath",
        "list",
        [],
        'import roots added for the test process, e.g. `["backend"]` for a monorepo',
    ),
    Option(
        "source",
        "list",
        [],
        "what coverage measures (never the tests); if empty, the project's coverage config, "
        "else the packages under `pythonpath`, `src/` or the project's root",
    ),
    Option(
        "install",
        "list",
        None,
        'pip arguments that install the project in the test environment, e.g. `["-e", ".[test]"]`'
        "; if unset, `-e .` (with a `test`, `tests` or `testing` extra) or `-r requirements.txt`"
        ", plus a test requirements file",
        unset="detected",
    ),
    Option(
        "venv",
        "choice",
        "auto",
        "test environment: auto (uv if installed, else virtualenv), uv, virtualenv, "
        "or none (the interpreter phasegate runs in)",
        VENV_CHOICES,
    ),
    Option(
        "runs",
        "int",
        3,
        "full suite runs in all for the stability measurement, the `run` step's included",
    ),
    Option(
        "orders",
        "orders",
        ["reverse", "shuffle"],
        "orders of stability runs 2, 3, ... (file, reverse, shuffle; run 1 is in file order); "
        "then shuffles",
        ORDER_CHOICES,
    ),
    Option(
        "seed",
        "int",
        None,
        "seed of the first shuffled run (the next ones use seed + 1, seed + 2, ...); "
        "printed so a run can be replayed",
        unset="random",
    ),
    Option(
        "rerun_budget",
        "duration",
        300.0,
        "time for rerunning suspects alone, in order and bisecting (checked before each rerun "
        'starts): seconds, or "90s", "60m", "2h"; 0 turns reruns off',
    ),
    Option(
        "quarantine",
        "str",
        "phasegate-quarantine.toml",
        "the quarantine file: flaky tests that still run but do not fail the flaky gate until "
        "their entry expires",
    ),
    Option("min_pass_rate", "percent", 98.0, "every run's pass rate must reach this (%)"),
    Option(
        "max_duration",
        "duration",
        3600.0,
        'time limit for all full stability runs together: seconds, or "90s", "60m", "2h"',
    ),
    Option(
        "coverage_target",
        "percent",
        None,
        "total coverage must reach this (%), with coverage.py's own `fail_under` rounding",
    ),
    Option(
        "coverage_baseline",
        "percent",
        None,
        "coverage at the phase's start (%)",
        unset="the previous phase's, from the history",
    ),
    Option(
        "min_increase",
        "number",
        None,
        "coverage must rise by this many points over `coverage_baseline`",
    ),
    Option("file_min_coverage", "percent", None, "floor for every file matching `files` (%)"),
    Option(
        "files",
        "list",
        [],
        "globs, relative to the project, that `file_min_coverage` applies to; all files if empty",
    ),
    Option(
        "file_floors",
        "floors",
        {},
        "a floor (%) per glob, each its own gate, and a glob matching no file fails: "
        '`{ "src/core/*" = 90 }`; env/CLI: `"src/core/*=90 src/cli/*=60"`',
    ),
    Option(
        "tested_min_coverage",
        "percent",
        None,
        "floor for each production file the tests added or changed this phase execute (%)",
    ),
    Option(
        "new_file_min_coverage",
        "percent",
        None,
        "floor for each production file added this phase (%)",
    ),
    Option(
        "diff_min_coverage",
        "percent",
        None,
        "share of the production lines changed since the base that tests execute (%)",
    ),
    Option("reports_dir", "str", "reports/phasegate", "where every artifact is written"),
    Option(
        "trending",
        "str",
        None,
        "the coverage history; commit it to keep it across runs",
        unset="`<reports_dir>/trending.json`",
    ),
    Option(
        "summary",
        "str",
        None,
        "the phase summary markdown; if unset and the project has a `.planning/` folder, "
        "`.planning/phases/<phase>/<NN>-PHASE-SUMMARY.md` (`NN` = the phase's leading number)",
        unset="`<reports_dir>/PHASE-SUMMARY.md`",
    ),
    Option(
        "base_ref",
        "str",
        None,
        "the commit the phase started from: a branch, tag or sha",
        unset="the previous phase's commit, from the history",
    ),
)
OPTIONS_BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}


@dataclasses.dataclass(frozen=True)
class PhaseConfig:
    """Everything a step needs to know, resolved once. Paths are absolute."""

    project: Path
    phase: str
    tests: tuple[str, ...]
    pytest_args: tuple[str, ...]
    pythonpath: tuple[str, ...]
    source: tuple[str, ...]
    install: tuple[str, ...] | None
    venv: str
    runs: int
    orders: tuple[str, ...]
    seed: int | None
    rerun_budget: float
    quarantine: Path
    min_pass_rate: float
    max_duration: float
    coverage_target: float | None
    coverage_baseline: float | None
    min_increase: float | None
    file_min_coverage: float | None
    files: tuple[str, ...]
    file_floors: dict[str, float]
    tested_min_coverage: float | None
    new_file_min_coverage: float | None
    diff_min_coverage: float | None
    reports_dir: Path
    trending: Path
    summary: Path
    base_ref: str | None

    @property
    def seen_flaky(self) -> Path:
        """Every test phasegate has seen flaky, kept beside the coverage history."""
        return self.trending.with_name("flaky-seen.json")

    @property
    def pythonpath_dirs(self) -> list[Path]:
        return [self.project / p for p in self.pythonpath]


# --- parsing one value --------------------------------------------------------------------


def _where(origin: str, name: str, raw: object) -> str:
    """How the error names the place the bad value came from."""
    shown = _show(raw)
    if origin == "env":
        return f"{OPTIONS_BY_NAME[name].env_var}={shown}"
    if origin == "cli":
        return f"{OPTIONS_BY_NAME[name].flag} {shown}"
    return f"{name} = {shown} in [tool.phasegate] ({origin})"


def _show(raw: object) -> str:
    if isinstance(raw, str):
        return f'"{raw}"'
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, list):
        return "[" + ", ".join(_show(x) for x in raw) + "]"
    if isinstance(raw, dict):
        return "{" + ", ".join(f"{_show(k)} = {_show(v)}" for k, v in raw.items()) + "}"
    return repr(raw)


def _fail(origin: str, name: str, raw: object, expected: str) -> ConfigError:
    return ConfigError(f"{_where(origin, name, raw)}: {expected}")


def _as_list(origin: str, name: str, raw: object) -> list[str]:
    if isinstance(raw, str) and origin in ("env", "cli"):
        return shlex.split(raw)
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return list(raw)
    raise _fail(origin, name, raw, 'must be a list of strings, e.g. ["tests"]')


def _as_number(origin: str, name: str, raw: object, expected: str) -> float:
    if isinstance(raw, bool):
        raise _fail(origin, name, raw, expected)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and origin in ("env", "cli"):
        try:
            value = float(raw)
        except ValueError:
            raise _fail(origin, name, raw, expected) from None
    else:
        raise _fail(origin, name, raw, expected)
    if not math.isfinite(value):
        raise _fail(origin, name, raw, expected)
    return value


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def _as_duration(origin: str, name: str, raw: object) -> float:
    zero_ok = name == "rerun_budget"
    expected = (
        f"must be a number of seconds {'>= 0' if zero_ok else '> 0'} "
        'or a string like "90s", "60m", "2h"'
    )
    if isinstance(raw, str):
        match = _DURATION.match(raw)
        if not match:
            raise _fail(origin, name, raw, expected)
        seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    else:
        seconds = _as_number(origin, name, raw, expected)
    if seconds < 0 or (seconds == 0 and not zero_ok):
        raise _fail(origin, name, raw, expected)
    return seconds


def _as_int(origin: str, name: str, raw: object, minimum: int) -> int:
    expected = f"must be an integer >= {minimum}"
    if isinstance(raw, bool):
        raise _fail(origin, name, raw, expected)
    if isinstance(raw, str) and origin in ("env", "cli"):
        try:
            raw_int = int(raw)
        except ValueError:
            raise _fail(origin, name, raw, expected) from None
    elif isinstance(raw, int):
        raw_int = raw
    else:
        raise _fail(origin, name, raw, expected)
    if raw_int < minimum:
        raise _fail(origin, name, raw, expected)
    return raw_int


def parse_value(option: Option, raw: object, origin: str) -> Any:
    """Turn a raw value (TOML-typed, or a string from env/CLI) into the option's type."""
    name = option.name
    if option.kind == "str":
        if not isinstance(raw, str) or not raw.strip():
            raise _fail(origin, name, raw, "must be a non-empty string")
        return raw
    if option.kind == "list":
        return tuple(_as_list(origin, name, raw))
    if option.kind == "int":
        return _as_int(origin, name, raw, 0 if name == "seed" else 1)
    if option.kind == "percent":
        value = _as_number(origin, name, raw, "must be a number from 0 to 100")
        if not 0 <= value <= 100:
            raise _fail(origin, name, raw, "must be a number from 0 to 100")
        return value
    if option.kind == "number":
        value = _as_number(origin, name, raw, "must be a number >= 0 (percentage points)")
        if value < 0:
            raise _fail(origin, name, raw, "must be a number >= 0 (percentage points)")
        return value
    if option.kind == "duration":
        return _as_duration(origin, name, raw)
    if option.kind == "choice":
        if raw not in option.choices:
            raise _fail(origin, name, raw, "must be one of " + ", ".join(option.choices))
        return raw
    if option.kind == "orders":
        orders = _as_list(origin, name, raw)
        bad = [o for o in orders if o not in option.choices]
        if not orders or bad:
            raise _fail(origin, name, raw, "must list orders from " + ", ".join(option.choices))
        return tuple(orders)
    if option.kind == "floors":
        return _as_floors(origin, name, raw)
    raise AssertionError(f"unknown option kind {option.kind!r}")  # pragma: no cover


def _as_floors(origin: str, name: str, raw: object) -> dict[str, float]:
    """A table glob -> percent; from env/CLI, "glob=percent" pairs separated by spaces."""
    expected = (
        'must map file globs to percentages, e.g. {"src/core/*" = 90} '
        '(PHASEGATE_FILE_FLOORS="src/core/*=90 src/cli/*=60")'
    )
    if isinstance(raw, str) and origin in ("env", "cli"):
        pairs: list[tuple[str, object]] = []
        for item in shlex.split(raw):
            glob, sep, text = item.rpartition("=")
            if not sep or not glob:
                raise _fail(origin, name, raw, expected)
            pairs.append((glob, text))
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise _fail(origin, name, raw, expected)
    floors = {}
    for glob, value in pairs:
        number: float
        try:
            number = float(value) if isinstance(value, str | int | float) else math.nan
        except ValueError:
            number = math.nan
        if isinstance(value, bool) or not 0 <= number <= 100:  # nan fails too
            raise _fail(origin, name, raw, expected)
        floors[glob] = number
    return floors


# --- layering -------------------------------------------------------------------------------


def read_pyproject(project: Path) -> dict[str, Any]:
    """The [tool.phasegate] table of the project's pyproject.toml ({} when absent)."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file and rerun") from None
    table = data.get("tool", {}).get("phasegate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.phasegate] in {path} must be a table")
    return table


def _check_known(keys: list[str], origin: str) -> None:
    for key in keys:
        if key not in OPTIONS_BY_NAME:
            close = difflib.get_close_matches(key, OPTIONS_BY_NAME, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(f"unknown key {key} in [tool.phasegate] ({origin}){hint}")


def load_config(
    project: Path,
    cli: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> PhaseConfig:
    """Resolve the config of the project at `project`. `cli` maps option names to raw strings."""
    project = project.resolve()
    if not project.is_dir():
        raise ConfigError(f"--project {project}: not a directory; pass the project's root folder")
    env = os.environ if env is None else env
    table = read_pyproject(project)
    origin = str(project / "pyproject.toml")
    _check_known(list(table), origin)
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = option.default
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = dict(value)
        if option.name in table:
            value = parse_value(option, table[option.name], origin)
        if option.env_var in env:
            value = parse_value(option, env[option.env_var], "env")
        if cli and cli.get(option.name) is not None:
            value = parse_value(option, cli[option.name], "cli")
        values[option.name] = value
    return _resolve(project, values)


def _resolve(project: Path, values: dict[str, Any]) -> PhaseConfig:
    reports_dir = project / values["reports_dir"]
    trending = project / values["trending"] if values["trending"] else reports_dir / "trending.json"
    if values["summary"]:
        summary = project / values["summary"]
    else:
        summary = default_summary_path(project, reports_dir, values["phase"])
    for entry in values["pythonpath"]:
        if not (project / entry).is_dir():
            raise ConfigError(
                f'pythonpath entry "{entry}" in [tool.phasegate]: no such folder under {project}'
            )
    return PhaseConfig(
        project=project,
        quarantine=project / values["quarantine"],
        reports_dir=reports_dir,
        trending=trending,
        summary=summary,
        **{
            k: v
            for k, v in values.items()
            if k not in ("reports_dir", "trending", "summary", "quarantine")
        },
    )


def default_summary_path(project: Path, reports_dir: Path, phase: str) -> Path:
    """`.planning/phases/<phase>/<NN>-PHASE-SUMMARY.md` when the project plans in .planning/."""
    if (project / ".planning").is_dir():
        number = re.match(r"\d+", phase)
        name = f"{number[0]}-PHASE-SUMMARY.md" if number else "PHASE-SUMMARY.md"
        return project / ".planning" / "phases" / phase / name
    return reports_dir / "PHASE-SUMMARY.md"
