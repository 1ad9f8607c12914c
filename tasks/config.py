"""One frozen PhaseConfig, layered: defaults < [tool.phasegate] < PHASEGATE_* env < command line.

Every option is defined once in OPTIONS (name, kind, default, help); the CLI flags, the
environment variables and the README table are all derived from it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasks.errors import ConfigError
from tasks.options import OPTIONS, OPTIONS_BY_NAME
from tasks.shards.split import parse_shard, shard_name
from tasks.value_parsers import DEFAULT, parse_value, where

# Where each value came from: option name -> (origin, raw value as given), origin being
# "cli", "env", DEFAULT or the pyproject's path (tasks.value_parsers.where).
Provenance = Mapping[str, tuple[str, object]]
PATH_OPTIONS = ("reports_dir", "trending", "summary", "quarantine")


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
    timeout: float | None = None  # None: derived per run (tasks.pytest_runner.run_limit)
    shard: str | None = None  # "K/N": reports_dir is then <reports_dir>/shards/K-of-N
    durations: str | None = None
    # The plan its full runs split the suite by (set by tasks.shards.select, never an option).
    shard_plan: Path | None = None
    hook_budget: float | None = None  # seconds for the hook's selection; None: no limit
    jobs: int | None = None  # None: the CPUs phasegate may use (tasks.processes.usable_cpus)
    suspect_reruns: str = "batch"
    provenance: Provenance = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def where(self, name: str) -> str:
        """The value of option `name` and where it came from, for a message."""
        origin, raw = self.provenance.get(name, (DEFAULT, OPTIONS_BY_NAME[name].default))
        return where(origin, name, raw)

    def given(self, name: str) -> bool:
        """Whether option `name` was set (in pyproject, the environment or the command line)."""
        return self.provenance.get(name, (DEFAULT, None))[0] != DEFAULT

    def path_setting(self, path: str | Path) -> str | None:
        """The path option that chose `path` (the file itself or a folder holding it)."""
        target = Path(path)
        for name in PATH_OPTIONS:
            chosen: Path = getattr(self, name)
            if target == chosen or target.is_relative_to(chosen):
                return self.where(name)
        if target == self.seen_flaky:  # beside the history, chosen by the same setting
            return self.where("trending")
        return None

    @property
    def seen_flaky(self) -> Path:
        """Every test phasegate has seen flaky, kept beside the coverage history."""
        return self.trending.with_name("flaky-seen.json")

    @property
    def shard_spec(self) -> tuple[int, int] | None:
        """(K, N) of `--shard K/N`, checked when the config was loaded."""
        return None if self.shard is None else parse_shard(self.shard)

    @property
    def base_reports_dir(self) -> Path:
        """The reports folder the shards' folders are in (reports_dir itself without one)."""
        return self.reports_dir.parent.parent if self.shard else self.reports_dir

    @property
    def pythonpath_dirs(self) -> list[Path]:
        return [self.project / p for p in self.pythonpath]


def load_pyproject(project: Path) -> dict[str, Any]:
    """The project's whole pyproject.toml ({} when absent); one line when it is not TOML."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file and rerun") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def read_pyproject(project: Path) -> dict[str, Any]:
    """The [tool.phasegate] table of the project's pyproject.toml ({} when absent)."""
    path = project / "pyproject.toml"
    data = load_pyproject(project)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"tool = {tool!r} in {path}: must be a table, e.g. [tool.phasegate]")
    table = tool.get("phasegate", {})
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
    provenance: dict[str, tuple[str, object]] = {}
    for option in OPTIONS:
        value = option.default
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = dict(value)
        layers = (
            (origin, table.get(option.name)),
            ("env", env.get(option.env_var)),
            ("cli", cli.get(option.name) if cli else None),
        )
        for layer, raw in layers:
            if raw is not None:
                value = parse_value(option, raw, layer)
                provenance[option.name] = (layer, raw)
        values[option.name] = value
    return _resolve(project, values, provenance)


def _resolve(project: Path, values: dict[str, Any], provenance: Provenance) -> PhaseConfig:
    reports_dir = project / values["reports_dir"]
    if values["shard"] is not None:
        try:
            k, n = parse_shard(values["shard"])
        except ValueError as exc:
            origin, raw = provenance["shard"]
            raise ConfigError(f"{where(origin, 'shard', raw)}: {exc}") from None
        reports_dir = reports_dir / "shards" / shard_name(k, n)
    if values["summary"]:
        summary = project / values["summary"]
    else:
        summary = default_summary_path(project, reports_dir, values["phase"])
    for entry in values["pythonpath"]:
        if not (project / entry).is_dir():
            origin, raw = provenance["pythonpath"]
            place = where(origin, "pythonpath", raw) if origin in ("env", "cli") else ""
            raise ConfigError(
                f'pythonpath entry "{entry}" in {place or "[tool.phasegate]"}: '
                f"no such folder under {project}"
            )
    return PhaseConfig(
        project=project,
        provenance=provenance,
        summary=summary,
        reports_dir=reports_dir,
        **{
            k: project / v if k in PATH_OPTIONS else v
            for k, v in values.items()
            if k not in ("summary", "reports_dir")
        },
    )


def default_summary_path(project: Path, reports_dir: Path, phase: str) -> Path:
    """`.planning/phases/<phase>/<NN>-PHASE-SUMMARY.md` when the project plans in .planning/."""
    if (project / ".planning").is_dir():
        number = re.match(r"\d+", phase)
        name = f"{number[0]}-PHASE-SUMMARY.md" if number else "PHASE-SUMMARY.md"
        return project / ".planning" / "phases" / phase / name
    return reports_dir / "PHASE-SUMMARY.md"
