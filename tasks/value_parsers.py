"""Parsing one raw config value (from pyproject, the environment or the command line) into
its typed form, with an error that names where the value came from and what is expected."""

from __future__ import annotations

import math
import re
import shlex
from typing import Any

from tasks.errors import ConfigError
from tasks.options import OPTIONS_BY_NAME, Option

# --- one value --------------------------------------------------------------------


DEFAULT = "default"  # the origin of a value nobody set


def where(origin: str, name: str, raw: object) -> str:
    """How a message names a value and the place it came from: `--runs "0"`,
    `PHASEGATE_RUNS="0"`, `runs = 0 in [tool.phasegate] (/p/pyproject.toml)` or
    `runs = 3, the default`. `origin` is "cli", "env", DEFAULT or the pyproject's path."""
    shown = _show(raw)
    if origin == "env":
        return f"{OPTIONS_BY_NAME[name].env_var}={shown}"
    if origin == "cli":
        return f"{OPTIONS_BY_NAME[name].flag} {shown}"
    if origin == DEFAULT:
        return f"{name} = {shown}, the default"
    return f"{name} = {shown} in [tool.phasegate] ({origin})"


def _show(raw: object) -> str:
    if isinstance(raw, str):
        return f'"{raw}"'
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, list | tuple):
        return "[" + ", ".join(_show(x) for x in raw) + "]"
    if isinstance(raw, dict):
        return "{" + ", ".join(f"{_show(k)} = {_show(v)}" for k, v in raw.items()) + "}"
    return repr(raw)


def _fail(origin: str, name: str, raw: object, expected: str) -> ConfigError:
    return ConfigError(f"{where(origin, name, raw)}: {expected}")


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
        try:
            value = float(raw)
        except OverflowError:  # an integer too big for a float: out of every bound
            raise _fail(origin, name, raw, expected) from None
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


def _at_most(option: Option, origin: str, raw: object, value: float, expected: str) -> None:
    """Refuse a value over the option's maximum: a few extra zeros are a typo, and running
    the suite until the machine gives up is no way to report it."""
    if option.maximum is not None and value > option.maximum:
        raise _fail(origin, option.name, raw, expected)


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
        minimum = 0 if name == "seed" else 1
        number = _as_int(origin, name, raw, minimum)
        _at_most(
            option,
            origin,
            raw,
            number,
            f"must be an integer from {minimum} to {option.maximum:.0f}",
        )
        return number
    if option.kind == "percent":
        value = _as_number(origin, name, raw, "must be a number from 0 to 100")
        if not 0 <= value <= 100:
            raise _fail(origin, name, raw, "must be a number from 0 to 100")
        return value
    if option.kind == "number":
        value = _as_number(origin, name, raw, "must be a number >= 0 (percentage points)")
        if value < 0:
            raise _fail(origin, name, raw, "must be a number >= 0 (percentage points)")
        _at_most(
            option,
            origin,
            raw,
            value,
            f"must be a number from 0 to {option.maximum:g} (percentage points)",
        )
        return value
    if option.kind == "duration":
        seconds = _as_duration(origin, name, raw)
        _at_most(
            option, origin, raw, seconds, f"must be at most a week ({option.maximum:.0f} seconds)"
        )
        return seconds
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
        except (ValueError, OverflowError):  # OverflowError: an integer too big for a float
            number = math.nan
        if isinstance(value, bool) or not 0 <= number <= 100:  # nan fails too
            raise _fail(origin, name, raw, expected)
        floors[glob] = number
    return floors
