"""Paths written by a shard job in another checkout, moved to this one."""

from __future__ import annotations

import os
from typing import Any


def remap(data: Any, old: str, new: str) -> Any:
    """`data` (parsed JSON) with every string that is `old` or a path under it rewritten
    under `new`: crash locations, frames, folders."""
    if old == new:
        return data
    if isinstance(data, str):
        if data == old or data.startswith(old + os.sep):
            return new + data[len(old) :]
        return data
    if isinstance(data, list):
        return [remap(item, old, new) for item in data]
    if isinstance(data, dict):
        return {key: remap(value, old, new) for key, value in data.items()}
    return data


def map_path(old: str, new: str) -> Any:
    """A path mapper for coverage.py's CoverageData.update."""

    def mapped(path: str) -> str:
        return str(remap(path, old, new))

    return mapped
