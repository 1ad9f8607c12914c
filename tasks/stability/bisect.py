"""Finding the one test after which a suspect shows its order-dependent outcome, in as few
fresh processes as it takes.

`locate` descends trusting one culprit: a half that does not show the outcome means the
other half holds it, so each halving costs one process instead of up to two. The two-test
run that confirms what it found (which the classic bisection runs as well) checks that
trust; when the descent took a half on trust and the confirmation fails, the classic
bisection (`find_culprit`, which runs both halves) decides, as it always did.

Pure: it runs tests only through the `shows` callable it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Runs the tests (ending with the suspect) in one fresh process: did the outcome show?
Shows = Callable[[Sequence[str]], bool]


def find_culprit(before: Sequence[str], nodeid: str, shows: Shows) -> str | None:
    """The one test among `before` after which `nodeid` shows its order-dependent outcome.

    `shows(tests)` runs `tests` (ending with `nodeid`) and says whether the outcome showed.
    Bisects, trying the half nearest the suspect first; None when no single test is enough.
    """
    candidates = list(before)
    while len(candidates) > 1:
        half = len(candidates) // 2
        near, far = candidates[half:], candidates[:half]
        if shows([*near, nodeid]):
            candidates = near
        elif shows([*far, nodeid]):
            candidates = far
        else:
            return None  # it takes tests from both halves together
    return candidates[0] if candidates else None


def descend(before: Sequence[str], nodeid: str, shows: Shows) -> tuple[str | None, bool]:
    """The culprit if there is one, one process per halving (the near half first, as
    `find_culprit`), and whether a half was taken on trust (its own run skipped)."""
    candidates, trusted = list(before), False
    while len(candidates) > 1:
        half = len(candidates) // 2
        near, far = candidates[half:], candidates[:half]
        if shows([*near, nodeid]):
            candidates = near
        else:
            candidates, trusted = far, True
    return (candidates[0] if candidates else None), trusted


def locate(
    before: Sequence[str], nodeid: str, shows: Shows, *, fallback: bool = True
) -> tuple[str | None, bool]:
    """(culprit, confirmed): the culprit found by `descend` and whether the two of them show
    the outcome again, or, with `before` as the culprit (None) when no single test is enough,
    whether the whole of `before` shows it again: what `find_culprit` and one confirming run
    give. Without `fallback`, a descent on trust that is not confirmed ends there (None,
    False)."""
    found, trusted = descend(before, nodeid, shows)
    if found is not None and shows([found, nodeid]):
        return found, True
    if not trusted:  # the path find_culprit takes too, and its confirmation failed
        return (found, False) if found is not None else (None, shows([*before, nodeid]))
    if not fallback:
        return None, False
    culprit = find_culprit(before, nodeid, shows)
    return culprit, shows([culprit, nodeid] if culprit else [*before, nodeid])
