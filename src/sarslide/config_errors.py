"""The one config error message: one line per bad key or value.

``format_config_error`` turns a pydantic ``ValidationError`` of a ``ConfigModel`` into
lines that name the dotted key, the value received and the allowed values or the fix
(an unknown key gets the closest valid spelling; a missing section its required keys).
It imports only pydantic, so ``sarslide.config`` and any layer may use it.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

import pydantic
from pydantic import BaseModel

__all__ = ["format_config_error", "submodel_of"]


def format_config_error(
    err: pydantic.ValidationError,
    model: type[BaseModel],
    *,
    source: str = "",
    label: str = "config",
) -> str:
    """One line per bad key or value: the key, the value, the allowed values or the fix.

    Errors pydantic reports per member of a union (``int | str``) are merged into the
    key's one line.
    """
    grouped: dict[str, list[dict[str, Any]]] = {}
    for problem in err.errors():
        grouped.setdefault(_key_of(problem, model), []).append(dict(problem))
    lines = [_describe(key, problems, model) for key, problems in grouped.items()]
    head = f"Invalid {label}" + (f" {source}" if source else "")
    if len(lines) == 1:
        return f"{head}: {lines[0]}"
    return f"{head} ({len(lines)} problem(s)):\n" + "\n".join(f"  - {line}" for line in lines)


def _describe(key: str, problems: list[dict[str, Any]], model: type[BaseModel]) -> str:
    first = problems[0]
    items = [str(p) for p in first["loc"][len(key.split(".")) :] if isinstance(p, int)]
    if first["type"] == "extra_forbidden":
        return _describe_unknown_key(key, first, model)
    if first["type"] == "missing" and not items:
        return _describe_missing_key(key, model)
    messages = list(dict.fromkeys(_message(p) for p in problems))  # ordered, unique
    text = " or ".join([messages[0], *(m.removeprefix("Input should be ") for m in messages[1:])])
    where = (key or "(top level)") + (f" (item {', '.join(items)})" if items else "")
    got = f" (got {first['input']!r})" if "input" in first else ""
    return f"{where}: {text}{got}"


def _describe_unknown_key(key: str, problem: dict[str, Any], model: type[BaseModel]) -> str:
    parts = key.split(".")
    section = _model_at(model, parts[:-1])
    valid = sorted(section.model_fields) if section is not None else []
    close = difflib.get_close_matches(parts[-1], valid, n=1)
    guess = f" Did you mean {'.'.join([*parts[:-1], close[0]])!r}?" if close else ""
    valid_text = f" Valid keys here: {', '.join(valid)}." if valid else ""
    return (
        f"unknown key {key!r} (got {problem.get('input')!r}).{guess} Extra inputs are not "
        f"permitted: remove it or fix its spelling.{valid_text}"
    )


def _describe_missing_key(key: str, model: type[BaseModel]) -> str:
    *sections, name = key.split(".")
    parent = _model_at(model, sections)
    field = parent.model_fields.get(name) if parent is not None else None
    section = submodel_of(field.annotation) if field is not None else None
    if section is not None:
        required = [f"{key}.{n}" for n, f in section.model_fields.items() if f.is_required()]
        example = required[0] if required else f"{key}.KEY"
        return (
            f"required section {key!r} is missing (required keys: {', '.join(required)}); "
            f"add it, e.g. --set {example}=VALUE"
        )
    about = f" ({field.description.rstrip('.')})" if field is not None and field.description else ""
    return f"required key {key!r} is missing{about}; add it, e.g. --set {key}=VALUE"


def _message(problem: dict[str, Any]) -> str:
    text = str(problem["msg"])
    return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _key_of(problem: Any, model: type[BaseModel]) -> str:
    """The dotted config key of an error location (union members and indices dropped)."""
    loc = [str(part) for part in problem["loc"]]
    if problem["type"] == "extra_forbidden":
        return ".".join(loc)
    current: type[BaseModel] | None = model
    key: list[str] = []
    for part in loc:
        if current is None or part not in current.model_fields:
            break
        key.append(part)
        current = submodel_of(current.model_fields[part].annotation)
    return ".".join(key) if key else ".".join(loc)


def _model_at(model: type[BaseModel], parts: list[str]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in parts:
        if current is None or part not in current.model_fields:
            return None
        current = submodel_of(current.model_fields[part].annotation)
    return current


def submodel_of(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel class a field holds (also inside ``X | None``), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None
