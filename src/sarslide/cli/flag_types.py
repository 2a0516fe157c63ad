"""How a config field's type becomes a flag's type, and parsers of a flag's text.

Flags are typed loosely (int, float, bool, Path, else text): the config model checks
every value, so a bad flag is the same one-line error as the same value in a file.
A parser takes ``(text, spelling)`` and raises ``ConfigError`` naming the flag.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sarslide.errors import ConfigError


def parse_ints(text: str, spelling: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``; ``ConfigError`` naming the flag otherwise."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise ConfigError(
            f"{spelling} takes comma-separated integers, e.g. 0,1,2; got {text!r}."
        ) from err


def parse_names(text: str, spelling: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_time(text: str, spelling: str) -> str:
    """An ISO 8601 date or time as given; ``ConfigError`` naming the flag otherwise."""
    from sarslide.conventions import to_utc_naive  # on use: --help does not read it

    try:
        to_utc_naive(text)
    except (ValueError, TypeError) as err:
        raise ConfigError(
            f"Invalid {spelling} {text!r}: not an ISO 8601 date or time ({err}). "
            "Use e.g. 2018-09-06 or 2018-09-06T18:08."
        ) from None
    return text


def strip_none(annotation: Any) -> Any:
    """``X | None`` -> ``X`` (other unions as they are), ``Annotated[X, ...]`` -> ``X``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if is_union(annotation) and len(args) == 1:
        annotation = args[0]
    is_annotated = typing.get_origin(annotation) is typing.Annotated
    return typing.get_args(annotation)[0] if is_annotated else annotation


def is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, tuple)


def flag_type(annotation: Any, *, switch: bool, parsed: bool, multiple: bool) -> tuple[Any, Any]:
    """The CLI type of a field (values are validated by the model) and its metavar.

    ``switch``: a one-way flag (bool); ``parsed``: text for a parser (a list of texts
    where the flag is ``multiple``).
    """
    if switch:
        return bool, None
    if parsed:
        return (list[str] | None) if multiple else (str | None), None
    base = strip_none(annotation)
    if is_union(base):  # str | list[str]: repeatable
        base = next((a for a in typing.get_args(base) if is_list(a)), str)
    if is_list(base):
        scalar, metavar = scalar_type((typing.get_args(base) or (str,))[0])
        return list[scalar] | None, metavar  # type: ignore[valid-type]
    scalar, metavar = scalar_type(base)
    return scalar | None, metavar


def scalar_type(annotation: Any) -> tuple[Any, str | None]:
    if typing.get_origin(annotation) is Literal:
        return str, "[" + "|".join(str(c) for c in typing.get_args(annotation)) + "]"
    if annotation in (bool, int, float, Path):
        return annotation, None
    return str, ("ISO-8601" if annotation is datetime else None)
