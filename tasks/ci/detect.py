"""Which CI runs us, from the variables the CI itself sets."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Ci(enum.StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"


def detect(env: Mapping[str, str]) -> Ci | None:
    """GitHub Actions sets GITHUB_ACTIONS=true in every step, GitLab CI sets GITLAB_CI=true
    in every job; anything else (a developer's shell, another CI) is None."""
    if env.get("GITHUB_ACTIONS") == "true":
        return Ci.GITHUB
    if env.get("GITLAB_CI") == "true":
        return Ci.GITLAB
    return None
