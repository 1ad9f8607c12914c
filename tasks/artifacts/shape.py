"""Check parsed JSON against an artifact's TypedDict: the shape half of the versioned loader.

A file whose format number is right but whose shape is not (hand-edited, truncated by another
tool, written by a buggy version) is refused with the path of the first bad value, instead of
failing later with a KeyError far from the cause.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from typing import Any, Literal, NotRequired, Required, Union, get_args, get_origin, is_typeddict


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# A pure function of a class, cached: resolving the hints of a TypedDict costs ~0.2 ms, and
# run.json holds one record per test (a 500-test run.json took 180 ms to check without it).
@functools.cache
def _keys(schema: Any) -> tuple[dict[str, Any], frozenset[str], dict[str, frozenset[type]]]:
    """A TypedDict's resolved hints, its required keys, and for each key whose hint is plain
    (str, int, float, bool, None) or a union with plain members, the exact types that fit
    at once (any other value is checked in full)."""
    hints = typing.get_type_hints(schema, include_extras=True)
    # Not __required_keys__: under `from __future__ import annotations` it misses NotRequired.
    wrapper = NotRequired if schema.__total__ else Required
    required = {k for k, h in hints.items() if (get_origin(h) is wrapper) != schema.__total__}
    plain = {k: t for k, h in hints.items() if (t := _exact_types(h)) is not None}
    return hints, frozenset(required), plain


def _exact_types(schema: Any) -> frozenset[type] | None:
    if get_origin(schema) in (Required, NotRequired):
        schema = get_args(schema)[0]
    if get_origin(schema) in (Union, types.UnionType):  # its plain members (None: none)
        parts = [t for arg in get_args(schema) if (t := _exact_types(arg)) is not None]
        return frozenset().union(*parts) if parts else None
    exact = {**_EXACT, bool: frozenset({bool}), type(None): frozenset({type(None)})}
    return exact.get(schema) if isinstance(schema, type) else None


def _check_typeddict(value: Any, schema: Any, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where}: expected an object, found {_describe(value)}"
    hints, required, plain = _keys(schema)
    for key in sorted(required - value.keys()):
        return f"{where}: missing key {key!r}"
    for key in sorted(value.keys() - hints.keys()):
        return f"{where}: unexpected key {key!r}"
    for key, item in value.items():
        if type(item) in plain.get(key, ()):
            continue  # the common case at once (run.json holds a record per test)
        problem = check(item, hints[key], f"{where}.{key}")
        if problem:
            return problem
    return None


def _check_generic(value: Any, schema: Any, where: str) -> str | None:
    origin, args = get_origin(schema), get_args(schema)
    if origin in (Union, types.UnionType):
        if any(check(value, arg, where) is None for arg in args):
            return None
        return f"{where}: {_describe(value)} is none of {schema}"
    if origin is Literal:
        return None if value in args else f"{where}: {_describe(value)} is not one of {args}"
    if origin in (Required, NotRequired):
        return check(value, args[0], where)
    if origin is list:
        if not isinstance(value, list):
            return f"{where}: expected a list, found {_describe(value)}"
        if _all_plain(value, args[0]):
            return None  # the common case at once (impact.json holds ~10^5 numbers)
        return next(
            (p for i, v in enumerate(value) if (p := check(v, args[0], f"{where}[{i}]"))), None
        )
    if origin is dict:
        if not isinstance(value, dict):
            return f"{where}: expected an object, found {_describe(value)}"
        return next(
            (p for k, v in value.items() if (p := check(v, args[1], f"{where}[{k!r}]"))), None
        )
    return f"{where}: the schema uses {schema}, which this checker does not know"


def _all_plain(values: list[Any], schema: Any) -> bool:
    """Whether every value is exactly of the plain type `schema` (bool is never an int)."""
    allowed = _EXACT.get(schema)
    return allowed is not None and set(map(type, values)) <= allowed


_EXACT: dict[Any, frozenset[type]] = {
    str: frozenset({str}),
    int: frozenset({int}),
    float: frozenset({int, float}),
}
_PLAIN: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    type(None): (type(None),),
}


def check(value: Any, schema: Any, where: str = "$") -> str | None:
    """None when `value` fits `schema`, else where and how it does not."""
    if schema is Any:
        return None
    if is_typeddict(schema):
        return _check_typeddict(value, schema, where)
    if isinstance(schema, type) and issubclass(schema, enum.Enum):
        allowed = [m.value for m in schema]
        return None if value in allowed else f"{where}: {_describe(value)} is not one of {allowed}"
    if schema in _PLAIN:
        ok = isinstance(value, _PLAIN[schema]) and not (
            schema in (int, float) and isinstance(value, bool)
        )
        return None if ok else f"{where}: expected {schema.__name__}, found {_describe(value)}"
    return _check_generic(value, schema, where)
