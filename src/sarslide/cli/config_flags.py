"""A command's flags generated from its config model: each flag spelled once.

A command names its config model and the keys that are flags; the flag's type, help
(the field's description) and default (None: the file or the model's default stays)
come from the field::

    SIMULATE = ConfigFlags(
        "sarslide.simulate.spec:EventCubeSpec",
        flag("height_px", "--height"), flag("width_px", "--width"), "timesteps", "seed",
    )

    @config_command(cube_app, "simulate", SIMULATE)
    def simulate(request: ConfigRequest, output: Path = ...) -> None:
        spec = request.load()

A key alone is the flag ``--key-with-dashes`` (``output_dir`` is ``-o/--output``, the
house spelling); a bool field is ``--key/--no-key`` unless ``sets=`` makes it a one-way
switch (``flag("figures", "--no-figures", sets=False)``); a list field is repeatable.
Every command also gets ``--config FILE`` and ``--set KEY=VALUE``. Precedence: the
model's defaults < ``--config`` < the flags < ``--set`` (docs/configs.md).

The model is imported only when the command's parameters are first needed (its parse
or ``--help``), so ``sarslide --help`` never imports torch or xarray.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import typer
from typer.core import TyperCommand

from sarslide.cli.checks import check_time_option
from sarslide.cli.options import CONFIG_HELP, SET_HELP, pick_config
from sarslide.config import parse_overrides
from sarslide.errors import ConfigError

REQUEST_KEY = "sarslide.config_request"
"""Where the command's ``ConfigRequest`` waits in ``ctx.meta`` for the command."""


@dataclass(frozen=True)
class Flag:
    """One flag: the config key(s) it sets and how it is spelled (see :func:`flag`)."""

    key: str
    names: tuple[str, ...] = ()
    old_names: tuple[str, ...] = ()
    sets: Any = None
    also: tuple[str, ...] = ()
    help: str | None = None
    parse: Callable[[Any, str], Any] | None = None
    argument: bool = False
    multiple: bool = False

    @property
    def spelling(self) -> str:
        """How messages name the flag: ``--tile-size``, ``CHECKPOINT``."""
        if self.argument:
            return self.key.upper()
        return next(n for n in self.names if n.startswith("--"))


def flag(
    key: str,
    *names: str,
    old: Sequence[str] = (),
    sets: Any = None,
    also: Sequence[str] = (),
    help: str | None = None,
    parse: Callable[[Any, str], Any] | None = None,
    multiple: bool = False,
) -> Flag:
    """A flag for ``key`` (dotted for sections: ``trainer.max_epochs``).

    Args:
        names: its spellings (``"--epochs"``; a short ``"-o"``); default from the key.
        old: old spellings, still accepted and hidden from ``--help``.
        sets: a one-way switch: giving the flag sets the key to this value.
        also: more keys set to the same value (then ``help`` says what it does).
        help: only where the field's description does not fit (several keys).
        parse: ``parse(value, spelling)`` turns the text into the key's value and
            raises ``ConfigError`` naming the flag (comma lists, files).
        multiple: with ``parse``, the flag repeats and ``parse`` gets the list.
    """
    if not names:
        last = key.rsplit(".", 1)[-1]
        names = ("--output", "-o") if last == "output_dir" else ("--" + last.replace("_", "-"),)
    return Flag(key, tuple(names), tuple(old), sets, tuple(also), help, parse, multiple=multiple)


def argument(key: str) -> Flag:
    """An optional positional argument for ``key`` (``sarslide predict CHECKPOINT``)."""
    return Flag(key, argument=True)


def parse_ints(text: str, spelling: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``.

    Raises:
        ConfigError: a part is not an integer (the message names the flag).
    """
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
    """An ISO 8601 date or time, refused with one line naming the flag otherwise."""
    check_time_option(text, spelling)
    return text


@dataclass(frozen=True)
class ConfigRequest:
    """What the command line asked of a config: the file and the overrides in order."""

    model: Any
    config: str | None
    flags: dict[str, Any]
    sets: dict[str, Any]

    def overrides(self, between: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The flags given, then ``between``, then ``--set``: dotted keys to values."""
        return {**self.flags, **(between or {}), **self.sets}

    def load(self, between: Mapping[str, Any] | None = None) -> Any:
        """The validated config: defaults < file < flags (< ``between``) < ``--set``."""
        return self.model.from_yaml(self.config, self.overrides(between))


class ConfigFlags:
    """The flags of one command, generated from its config model's fields."""

    def __init__(
        self,
        model: str | type[Any],
        *flags: Flag | str,
        config_argument: str | None = None,
        config_help: str = CONFIG_HELP,
        sections: Mapping[str, str] | None = None,
    ) -> None:
        """``model``: ``"module:Class"`` (imported when first needed) or the class.

        ``config_argument``: help of a positional ``CONFIG`` that is the same as
        ``--config`` (``sarslide train quick``). ``sections``: the model
        (``"module:Class"``) of a section the config holds as a plain mapping.
        """
        self.model_path = model
        self.flags = tuple(f if isinstance(f, Flag) else flag(f) for f in flags)
        self.config_argument = config_argument
        self.config_help = config_help
        self.sections = dict(sections or {})

    @functools.cached_property
    def model(self) -> Any:
        """The config model class."""
        return _import(self.model_path)

    def field_of(self, key: str) -> Any:
        """The pydantic ``FieldInfo`` of a dotted key."""
        model = self.model
        *sections, last = key.split(".")
        for i, section in enumerate(sections):
            where = ".".join(sections[: i + 1])
            typed = _strip_none(model.model_fields[section].annotation)
            model = _import(self.sections[where]) if where in self.sections else typed
        return model.model_fields[last]

    def help_of(self, item: Flag) -> str:
        """The field's description and key (or the flag's own help, for several keys)."""
        if item.help is not None:
            return item.help
        description = self.field_of(item.key).description
        if not description:
            raise TypeError(f"{self.model_path} field {item.key!r} has no description")
        if item.sets is None:
            return f"{description.rstrip('.')} ({item.key})."
        return f"{description.rstrip('.')} (sets {item.key}: {str(item.sets).lower()})."

    def params(self) -> list[Any]:
        """The click parameters: the flags, their old spellings, --config and --set."""
        signature = []
        for i, item in enumerate(self.flags):
            signature += self._parameters(item, f"flag{i}")
        config = typer.Option(None, "--config", metavar="FILE", help=self.config_help)
        signature.append(_keyword("config_file", str | None, config))
        signature.append(_keyword("set_overrides", list[str], _set_option()))
        if self.config_argument is not None:
            config_arg = typer.Argument(None, metavar="[CONFIG]", help=self.config_argument)
            signature.insert(0, _keyword("config_argument", str | None, config_arg))
        return _click_params(signature)

    def _parameters(self, item: Flag, name: str) -> list[inspect.Parameter]:
        help_text = self.help_of(item)
        annotation, metavar = _flag_type(self.field_of(item.key).annotation, item)
        if item.argument:
            metavar = metavar or item.key.upper()
            info = typer.Argument(None, help=help_text, show_default=False, metavar=metavar)
            return [_keyword(name, annotation, info)]
        default = False if item.sets is not None else None
        names = item.names
        if annotation == bool | None and len(names) == 1 and "/" not in names[0]:
            names = (f"{names[0]}/--no-{names[0][2:]}",)  # a bool key: both ways
        info = typer.Option(default, *names, help=help_text, metavar=metavar)
        found = [_keyword(name, annotation, info)]
        for i, old in enumerate(item.old_names):
            hidden = typer.Option(default, old, hidden=True)
            found.append(_keyword(f"{name}_old{i}", annotation, hidden))
        return found

    def request(self, params: dict[str, Any]) -> ConfigRequest:
        """Pop the generated parameters' values from ``params`` into a ConfigRequest."""
        values: dict[str, Any] = {}
        for n, item in enumerate(self.flags):
            value = _given(params.pop(f"flag{n}"))
            for i, old in enumerate(item.old_names):
                value = _pick_spelling(value, _given(params.pop(f"flag{n}_old{i}")), item, old)
            value = self._value(item, value)
            if value is not None:
                values.update(dict.fromkeys((item.key, *item.also), value))
        config = params.pop("config_file")
        if self.config_argument is not None:
            config = pick_config(params.pop("config_argument"), config)
        sets = dict(parse_overrides(params.pop("set_overrides") or []))
        return ConfigRequest(self.model, config, values, sets)

    def _value(self, item: Flag, value: Any) -> Any:
        if item.sets is not None:
            return item.sets if value else None
        if value is None:
            return None
        if item.parse is not None:
            return item.parse(value, item.spelling)
        annotation = _strip_none(self.field_of(item.key).annotation)
        if isinstance(value, list) and len(value) == 1 and not _is_list(annotation):
            return value[0]  # `str | list[str]`: one value is the scalar
        if annotation is datetime:
            return parse_time(value, item.spelling)
        return value


def _import(path: str | type[Any]) -> Any:
    """The class at ``"module:Class"`` (a class as it is)."""
    if not isinstance(path, str):
        return path
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _given(value: Any) -> Any:
    """A flag's value as given: None for a repeatable flag not given, lists as lists."""
    if isinstance(value, (tuple, list)):
        return list(value) or None
    return value


def _set_option() -> Any:
    return typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP)


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def _click_params(parameters: list[inspect.Parameter]) -> list[Any]:
    """typer's own conversion of a signature into click parameters (public API only)."""

    def command(**values: Any) -> None:
        return None

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    scratch = typer.Typer(add_completion=False)
    scratch.command()(command)
    return list(typer.main.get_command(scratch).params)


def _strip_none(annotation: Any) -> Any:
    """``X | None`` -> ``X`` (other unions as they are)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if _is_union(annotation) and len(args) == 1:
        return args[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (list, tuple)


def _flag_type(annotation: Any, item: Flag) -> tuple[Any, str | None]:
    """The CLI type of a field (values are validated by the model) and its metavar."""
    if item.sets is not None:
        return bool, None
    if item.parse is not None:
        return (list[str] | None) if item.multiple else (str | None), None
    base = _strip_none(annotation)
    if _is_union(base):  # str | list[str]: repeatable
        listed = [a for a in typing.get_args(base) if _is_list(a)]
        base = listed[0] if listed else str
    if _is_list(base):
        inner = typing.get_args(base)[0] if typing.get_args(base) else str
        scalar, metavar = _scalar_type(inner)
        return list[scalar] | None, metavar  # type: ignore[valid-type]
    scalar, metavar = _scalar_type(base)
    return scalar | None, metavar


def _scalar_type(annotation: Any) -> tuple[Any, str | None]:
    if typing.get_origin(annotation) is Literal:
        choices = typing.get_args(annotation)
        return str, "[" + "|".join(str(c) for c in choices) + "]"
    if annotation in (bool, int, float, Path):
        return annotation, None
    if annotation is datetime:
        return str, "ISO-8601"
    return str, None


def _pick_spelling(value: Any, old_value: Any, item: Flag, old: str) -> Any:
    """The flag or its old spelling (kept hidden for old scripts); both differing: error."""
    if old_value is None or old_value is False:
        return value
    if value is not None and value is not False and value != old_value:
        raise ConfigError(
            f"Both {item.spelling} {str(value)!r} and {old} {str(old_value)!r} given; "
            f"{old} is the old name of {item.spelling}: give only {item.spelling}."
        )
    return old_value


class ConfigCommand(TyperCommand):
    """A typer command whose flags come from ``flags`` (added on first use)."""

    flags: ClassVar[ConfigFlags]
    _own_params: list[Any]
    _all_params: list[Any] | None

    @property  # type: ignore[override]
    def params(self) -> list[Any]:
        if self._all_params is None:
            self._all_params = [*self._own_params, *self.flags.params()]
        return self._all_params

    @params.setter
    def params(self, value: list[Any]) -> None:
        self._own_params = list(value)
        self._all_params = None

    def invoke(self, ctx: Any) -> Any:
        ctx.meta[REQUEST_KEY] = self.flags.request(ctx.params)
        return super().invoke(ctx)


def config_command(app: typer.Typer, name: str, flags: ConfigFlags) -> Callable[[Any], Any]:
    """Register ``func(request, **own options)`` as command ``name`` with ``flags``.

    The first parameter receives the :class:`ConfigRequest`; the others are the
    command's own typer options (output paths, ``--overwrite``, ``--progress``).
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in list(inspect.signature(func, eval_str=True).parameters.values())[1:]
        ]
        context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)

        @functools.wraps(func)
        def run(ctx: typer.Context, **values: Any) -> Any:
            return func(ctx.meta[REQUEST_KEY], **values)

        run.__signature__ = inspect.Signature([context, *own])  # type: ignore[attr-defined]
        run.__annotations__ = {}
        cls = type(f"{func.__name__}_command", (ConfigCommand,), {"flags": flags})
        app.command(name, cls=cls)(run)
        return func

    return register
