"""The quarantine file and the record of tests phasegate has seen flaky.

A quarantined test still runs and is reported, but does not fail the flaky gate until its
entry expires. Only a test phasegate has seen flaky (in this run or an earlier one, as
recorded in the seen-flaky file beside the coverage history) may be quarantined.

    [[quarantine]]
    test = "tests/test_api.py::test_retry"
    reason = "times out when the CI runner is busy (#123)"
    owner = "alice"
    expires = 2026-12-31
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tasks.errors import ConfigError
from tasks.gates import FAIL, NOT_APPLICABLE, PASS, Gate

FIELDS = ("test", "reason", "owner", "expires")
EXAMPLE = 'e.g. [[quarantine]] test = "tests/test_x.py::test_y" ... expires = 2026-12-31'


@dataclasses.dataclass(frozen=True)
class Entry:
    test: str
    reason: str
    owner: str
    expires: dt.date

    def expired(self, today: dt.date) -> bool:
        return self.expires < today


def load(path: Path) -> list[Entry]:
    """The entries of the quarantine file ([] when there is none)."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file and rerun") from None
    unknown = sorted(set(data) - {"quarantine"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown table {unknown[0]}; entries go in [[quarantine]] tables ({EXAMPLE})"
        )
    raw = data.get("quarantine", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: quarantine must be an array of tables ({EXAMPLE})")
    entries: list[Entry] = []
    for index, item in enumerate(raw, 1):
        entries.append(_entry(path, index, item))
    seen: set[str] = set()
    for entry in entries:
        if entry.test in seen:
            raise ConfigError(f"{path}: test {entry.test} is quarantined twice; keep one entry")
        seen.add(entry.test)
    return entries


def _entry(path: Path, index: int, item: Mapping[str, Any]) -> Entry:
    where = f"{path}: entry {index}"
    missing = [f for f in FIELDS if f not in item]
    if missing:
        raise ConfigError(f"{where} has no {missing[0]}; every entry needs {', '.join(FIELDS)}")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]}; the keys are {', '.join(FIELDS)}")
    for key in ("test", "reason", "owner"):
        value = item[key]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: {key} = {value!r} must be a non-empty string")
    if "::" not in item["test"]:
        raise ConfigError(
            f"{where}: test = {item['test']!r} is not a pytest node id; "
            'use the id pytest prints, e.g. "tests/test_x.py::test_y"'
        )
    expires = item["expires"]
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise ConfigError(
            f"{where}: expires = {expires!r} must be a TOML date like 2026-12-31 (no quotes)"
        )
    return Entry(item["test"], item["reason"], item["owner"], expires)


# --- tests seen flaky -----------------------------------------------------------------------


def quarantine_gate(
    entries: Sequence[Entry], seen: Iterable[str], quarantined_flaky: Sequence[str], today: dt.date
) -> Gate:
    """Expired entries and entries for tests never seen flaky fail; the rest are reported."""
    if not entries:
        return Gate("quarantine", "no expired or unseen entry", "no entries", NOT_APPLICABLE)
    seen_set = set(seen)
    expired = [e for e in entries if e.expired(today)]
    unseen = [e for e in entries if e.test not in seen_set]
    problems = [
        f"{e.test} expired on {e.expires.isoformat()} (owner {e.owner}): fix it or extend the date"
        for e in expired
    ] + [
        f"{e.test} was never seen flaky by phasegate: remove the entry (only flaky tests "
        "may be quarantined)"
        for e in unseen
    ]
    actual = f"{len(entries)} entries, {len(quarantined_flaky)} flaky now"
    if problems:
        actual += f", {len(expired)} expired, {len(unseen)} never seen flaky"
    return Gate(
        "quarantine",
        "no expired or unseen entry",
        actual,
        FAIL if problems else PASS,
        "; ".join(problems),
    )
