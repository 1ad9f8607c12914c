"""Every config key, defined once: name, kind, default and help. The CLI flags, the
environment variables, `--help` and the README's table (tasks/options_doc.py) derive from it."""

from __future__ import annotations

import dataclasses
from typing import Any

VENV_CHOICES = ("auto", "uv", "virtualenv", "none")
MAX_RUNS = 1000
MAX_SEED = 2**32 - 1
WEEK = 7 * 24 * 3600.0  # the longest duration or budget accepted, in seconds
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
    # The largest value accepted (numbers and durations): a typo of a few zeros must stop
    # phasegate at once, not after running the suite for hours.
    maximum: float | None = None

    @property
    def env_var(self) -> str:
        return f"PHASEGATE_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option("phase", "str", "current", "name of the phase, e.g. 19-coverage-push-and-bug-fixes"),
    Option(
        "tests",
        "list",
        [],
        "test paths handed to pytest; empty: what plain `pytest` runs (its `testpaths`, else "
        "discovery from the rootdir)",
    ),
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
        "full suite runs in all for the stability measurement, the `run` step's included "
        f"(1 to {MAX_RUNS})",
        maximum=MAX_RUNS,
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
        f"printed so a run can be replayed (0 to {MAX_SEED})",
        unset="random",
        maximum=MAX_SEED,
    ),
    Option(
        "rerun_budget",
        "duration",
        300.0,
        "time for rerunning suspects alone, in order and bisecting (checked before each rerun "
        'starts): seconds, or "90s", "60m", "2h", at most a week; 0 turns reruns off',
        maximum=WEEK,
    ),
    Option(
        "jobs",
        "int",
        None,
        "pytest processes at once: the stability runs run beside the instrumented run, each in "
        "a temporary folder of its own; 1 runs one after another (at most 1024)",
        unset="the CPUs phasegate may use; 1 when the project's pytest arguments start xdist",
        maximum=1024,
    ),
    Option(
        "suspect_reruns",
        "choice",
        "batch",
        "batch: the suspects that failed in every full run are first rerun together in one "
        "process, and those failing again are consistent; each: every suspect is rerun alone",
        ("batch", "each"),
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
        'time limit for all full stability runs together: seconds, or "90s", "60m", "2h", '
        "at most a week",
        maximum=WEEK,
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
        "coverage must rise by this many points over `coverage_baseline` (0 to 100)",
        maximum=100.0,
    ),
    Option("file_min_coverage", "percent", None, "floor for every file matching `files` (%)"),
    Option(
        "files",
        "list",
        [],
        "globs, relative to the project, that `file_min_coverage` applies to, with coverage.py's "
        "own glob rules (as its `include`/`omit`: `src/core/*` takes subfolders too); all files "
        "if empty",
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
    Option(
        "reports_dir",
        "str",
        ".phasegate/reports",
        "where every artifact of a run is written; disposable (phasegate writes a `.gitignore` "
        "into the default folder so it is not committed)",
    ),
    Option(
        "trending",
        "str",
        ".phasegate/trending.json",
        "the coverage history, with `flaky-seen.json` beside it; commit both to keep them "
        "across runs",
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
    Option(
        "timeout",
        "duration",
        None,
        'time limit of each pytest process: seconds, or `"90s"`, `"10m"`; when hit, its '
        "process group is killed and the test it was in fails as timed out",
        unset="`max_duration` for a full run; what is left of `rerun_budget` for a rerun",
        maximum=WEEK,
    ),
    Option(
        "shard",
        "str",
        None,
        "run only shard K of N of the collected tests (`2/4`; 1-based, as GitLab's "
        "`$CI_NODE_INDEX/$CI_NODE_TOTAL`), writing everything into "
        "`<reports_dir>/shards/K-of-N/`; `phasegate combine` merges the shards",
        unset="the whole suite",
    ),
    Option(
        "durations",
        "str",
        None,
        "recorded test durations that balance the shards: a `durations.json` that `combine` "
        "writes, or a `run.json`",
        unset="`<reports_dir>/durations.json`, else `<reports_dir>/run.json`, else none "
        "(round-robin)",
    ),
    Option(
        "hook_budget",
        "duration",
        None,
        "time for the tests the pre-push hook selects (from their recorded durations): the "
        'most relevant that fit run, the rest are reported as left out; seconds, or "90s", '
        '"5m", at most a week',
        unset="no limit",
        maximum=WEEK,
    ),
)
OPTIONS_BY_NAME: dict[str, Option] = {o.name: o for o in OPTIONS}
