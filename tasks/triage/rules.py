"""Triage rules: from one failure and its evidence to a category, a confidence and sentences a
developer can check. Pure: every fact from git, the file system or other runs comes in
through the `Case` (its `Probe` and `Layout`), so each rule is testable with a table of cases.

`RULES` is the order: the flaky runs, the environment and the signature recognisers first;
what they leave is decided by where it was raised and what changed (tasks.triage.location).
Each rule states its whole condition; the order only says which wins when two apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks.layout import Layout
from tasks.results import TestRecord
from tasks.triage.case import Case, Rule
from tasks.triage.environment import ENVIRONMENT_RULES
from tasks.triage.facts import Probe, Verdict
from tasks.triage.location import LOCATION_RULES, undecided
from tasks.triage.signatures import SIGNATURE_RULES, flaky_rule


def classify(
    record: TestRecord, layout: Layout, probe: Probe, flaky: Mapping[str, Any] | None = None
) -> Verdict:
    """The category of one failure or error, with its evidence."""
    case = Case(record, layout, probe, flaky)
    for rule in RULES:
        verdict = rule(case)
        if verdict is not None:
            return verdict
    return undecided(case)


RULES: tuple[Rule, ...] = (flaky_rule, *ENVIRONMENT_RULES, *SIGNATURE_RULES, *LOCATION_RULES)
