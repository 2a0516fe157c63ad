"""Every job exported from ``sarslide`` has one shape: ``verb(cfg) -> Result``.

One config in (a ``ConfigModel``; every other parameter optional), a frozen dataclass out
(what it wrote and measured), read from the annotations so the shape cannot drift.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

import pytest

import sarslide
from sarslide.config import ConfigModel

JOBS = sorted(name for name in sarslide.__all__ if name[0].islower() and name != "__version__")


def job_function(name: str) -> Any:
    """The function behind ``sarslide.<name>`` (a plain function, never a module)."""
    job = getattr(sarslide, name)
    assert inspect.isfunction(job), f"sarslide.{name} is {job!r}, not a function"
    return job


def test_every_job_is_exported() -> None:
    assert set(JOBS) == {n for n, (_, attr) in sarslide._EXPORTS.items() if n[0].islower()}
    assert len(JOBS) == 13


@pytest.mark.parametrize("name", JOBS)
def test_job_takes_one_config(name: str) -> None:
    function = job_function(name)
    hints = typing.get_type_hints(function)
    params = list(inspect.signature(function).parameters.values())
    first, rest = params[0], params[1:]
    config_types = [t for t in typing.get_args(hints[first.name]) or [hints[first.name]]]
    assert any(isinstance(t, type) and issubclass(t, ConfigModel) for t in config_types), name
    for param in rest:  # everything but the config has a default (or is *args/**kwargs)
        assert param.default is not inspect.Parameter.empty or param.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ), f"{name}: {param.name} has no default"


@pytest.mark.parametrize("name", JOBS)
def test_job_returns_a_frozen_dataclass(name: str) -> None:
    returned = typing.get_type_hints(job_function(name))["return"]
    assert isinstance(returned, type) and dataclasses.is_dataclass(returned), (name, returned)
    frozen = returned.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert frozen, f"{name} returns a mutable {returned.__name__}"
