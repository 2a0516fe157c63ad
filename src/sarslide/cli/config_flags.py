"""A command's flags generated from its config model: each flag spelled once.

A command names its model (``"module:Class"``, imported when the command parses or
shows ``--help``, so ``sarslide --help`` stays fast) and the keys that are flags; each
flag's type, help (the field's description, then the key) and default (none: the file
or the model's default stays) come from the field. ``--config FILE`` and ``--set
KEY=VALUE`` come with them; the model's defaults < ``--config`` < the flags < ``--set``.
The declaration, with an example: docs/configs.md, "How a command declares its flags".
"""

from __future__ import annotations

import functools
import importlib
import inspect
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import typer
from typer._click.exceptions import MissingParameter
from typer.core import TyperCommand

from sarslide.cli.flag_types import flag_type, is_list, is_union, parse_time, strip_none
from sarslide.config import parse_overrides
from sarslide.errors import ConfigError
from sarslide.output_checks import check_output_location

CONFIG_HELP = (
    "YAML config file (a resolved config.yaml of an earlier run works too); "
    "the options below and --set override its keys. See docs/configs.md."
)
SET_HELP = (
    "Override any config key: --set section.key=value (value parsed as YAML, e.g. "
    "--set trainer.max_epochs=5); repeatable; wins over the file and the options."
)
REQUEST_KEY = "sarslide.config_request"  # where the ConfigRequest waits in ctx.meta
Parser = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Flag:
    """One flag: the config key(s) it sets and how it is spelled (made by :func:`flag`).

    ``key``: dotted into sections (``trainer.max_epochs``); ``names``: its spellings
    (``"--epochs"``, a short ``"-o"``); ``old``: old spellings, still accepted, hidden
    from ``--help``; ``sets``: a one-way switch: giving the flag sets the key to this
    value; ``also``: more keys set to the same value (then ``help`` names them all);
    ``parse(text, spelling)``: the key's value from the flag's text, or a ``ConfigError``
    naming the flag (with ``multiple`` the flag repeats); ``required``: the key must be
    given (flag, ``--config`` or ``--set``); missing, it is click's usage error (exit 2),
    as for a required option.
    """

    key: str
    names: tuple[str, ...] = ()
    old: Sequence[str] = ()
    sets: Any = None
    also: Sequence[str] = ()
    help: str | None = None
    parse: Parser | None = None
    multiple: bool = False
    argument: bool = False
    required: bool = False

    @property
    def spelling(self) -> str:
        """How messages name the flag: ``--tile-size``, ``CHECKPOINT``."""
        return self.key.upper() if self.argument else self.names[0].split("/")[0]


def flag(key: str, *names: str, **options: Any) -> Flag:
    """A :class:`Flag` for ``key`` spelled ``names`` (default from the key; ``output_dir``:
    ``--output``/``-o``); ``options``: its other fields (``old``, ``parse``, ...)."""
    if not names:
        last = key.rsplit(".", 1)[-1]
        names = ("--output", "-o") if last == "output_dir" else ("--" + last.replace("_", "-"),)
    return Flag(key, names, **options)


def argument(key: str) -> Flag:
    """An optional positional argument for ``key`` (``sarslide predict CHECKPOINT``)."""
    return Flag(key, argument=True)


def pick_config(argument: str | None, option: str | None) -> str | None:
    """The positional ``CONFIG`` or ``--config`` (one, or the same twice); else ConfigError."""
    if argument is not None and option is not None and argument != option:
        raise ConfigError(f"Two configs given: {argument!r} and --config {option!r}; give one.")
    return argument if argument is not None else option


@dataclass(frozen=True)
class ConfigRequest:
    """What the command line asked of a config: the file, the flags given, ``--set``."""

    model: Any
    config: str | None
    flags: dict[str, Any]
    sets: dict[str, Any]
    required: tuple[tuple[str, Any], ...] = ()  # (key, its click parameter)
    ctx: Any = None
    output: str | None = None  # the key of -o/--output

    def overrides(self, between: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Dotted keys to values: the flags given, then ``between``, then ``--set``."""
        return {**self.flags, **(between or {}), **self.sets}

    def load(self, between: Mapping[str, Any] | None = None) -> Any:
        """The validated config: defaults < file < flags (< ``between``) < ``--set``; its
        ``device``, if it has one, and its -o output, if given, checked before any work
        (a missing GPU or an unwritable output fails here). A required key missing (with
        no file, before validating) is a usage error."""
        overrides = self.overrides(between)
        self._check_required(lambda key: self.config is not None or key in overrides)
        cfg = self.model.from_yaml(self.config, overrides)
        self._check_required(lambda key: operator.attrgetter(key)(cfg) is not None)
        check_device(getattr(cfg, "device", None))
        if self.output and (output := operator.attrgetter(self.output)(cfg)) is not None:
            check_output_location(output)
        return cfg

    def _check_required(self, given: Callable[[str], bool]) -> None:
        for key, param in self.required:
            if not given(key):
                raise MissingParameter(ctx=self.ctx, param=param)


def check_device(device: str | None) -> None:
    """Refuse a device that is not on this machine (None and auto always exist)."""
    if device not in (None, "auto"):
        from sarslide.devices import resolve_device  # imports torch

        resolve_device(device, log=False)


class ConfigFlags:
    """The flags of one command, generated from its config model's fields.

    ``model``: ``"module:Class"`` or the class; ``flags``: :class:`Flag` s or strings of
    keys; ``config_argument``: the help of a positional ``CONFIG`` that is the same as
    ``--config``; ``sections``: the model of a section the config holds as a mapping;
    ``file_options=False``: no ``--config``/``--set`` (they belong to another config).
    """

    def __init__(
        self,
        model: str | type[Any],
        *flags: Flag | str,
        config_argument: str | None = None,
        config_help: str = CONFIG_HELP,
        sections: Mapping[str, str] | None = None,
        file_options: bool = True,
    ) -> None:
        self.model_path = model
        self.flags = tuple(f for item in flags for f in _flags(item))
        self.config_argument = config_argument
        self.config_help = config_help
        self.sections = dict(sections or {})
        self.file_options = file_options

    @functools.cached_property
    def model(self) -> Any:
        """The config model class."""
        return _import(self.model_path)

    def field_of(self, key: str) -> Any:
        """The pydantic ``FieldInfo`` of a dotted key (KeyError: no such key)."""
        model = self.model
        *sections, last = key.split(".")
        for i, section in enumerate(sections):
            where = ".".join(sections[: i + 1])
            if where in self.sections:  # held as a mapping (ablation's train)
                model = _import(self.sections[where])
            else:
                model = strip_none(model.model_fields[section].annotation)
        return model.model_fields[last]

    def help_of(self, item: Flag) -> str:
        """The field's description and key (or the flag's own help, for several keys)."""
        if item.help is not None:
            return item.help
        description = (self.field_of(item.key).description or "").rstrip(".")
        if not description:
            raise TypeError(f"{self.model_path}: give the field {item.key!r} a description")
        what = item.key if item.sets is None else f"sets {item.key}: {str(item.sets).lower()}"
        return f"{description} ({what})."

    def params(self) -> list[Any]:
        """The click parameters: the flags, their old spellings, --config and --set."""
        signature = [p for i, item in enumerate(self.flags) for p in self._params(item, i)]
        config = typer.Option(None, "--config", metavar="FILE", help=self.config_help)
        sets = typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP)
        if self.file_options:
            signature += [_keyword("config_file", str | None, config)]
            signature += [_keyword("set_overrides", list[str], sets)]
        if self.config_argument is not None:
            config_arg = typer.Argument(None, metavar="[CONFIG]", help=self.config_argument)
            signature.insert(0, _keyword("config_argument", str | None, config_arg))
        return _click_params(signature)

    def _params(self, item: Flag, n: int) -> list[inspect.Parameter]:
        help_text = self.help_of(item)
        annotation, metavar = flag_type(
            self.field_of(item.key).annotation,
            switch=item.sets is not None,
            parsed=item.parse is not None,
            multiple=item.multiple,
        )
        if item.argument:
            metavar = metavar or item.key.upper()
            info = typer.Argument(None, help=help_text, show_default=False, metavar=metavar)
            return [_keyword(f"flag{n}", annotation, info)]
        default = False if item.sets is not None else None
        names = item.names
        if annotation == bool | None and len(names) == 1 and "/" not in names[0]:
            names = (f"{names[0]}/--no-{names[0][2:]}",)  # a bool key: both ways
        info = typer.Option(default, *names, help=help_text, metavar=metavar)
        found = [_keyword(f"flag{n}", annotation, info)]
        for i, old in enumerate(item.old):
            hidden = typer.Option(default, old, hidden=True)
            found.append(_keyword(f"flag{n}_old{i}", annotation, hidden))
        return found

    def request(self, params: dict[str, Any], ctx: Any = None) -> ConfigRequest:
        """Pop the generated parameters' values from ``params`` into a ConfigRequest."""
        values: dict[str, Any] = {}
        for n, item in enumerate(self.flags):
            value = _given(params.pop(f"flag{n}"))
            for i, old in enumerate(item.old):
                old_value = _given(params.pop(f"flag{n}_old{i}"))
                value = _pick_spelling(value, old_value, item.spelling, old)
            if value is not None and (value or item.sets is None):  # given (parsed: may be None)
                values.update(dict.fromkeys((item.key, *item.also), self._value(item, value)))
        config = params.pop("config_file", None)
        if self.config_argument is not None:
            config = pick_config(params.pop("config_argument"), config)
        sets = dict(parse_overrides(params.pop("set_overrides", None) or []))
        by_name = {p.name: p for p in (ctx.command.params if ctx is not None else [])}
        required = tuple(
            (f.key, by_name.get(f"flag{n}")) for n, f in enumerate(self.flags) if f.required
        )
        output = next((f.key for f in self.flags if "--output" in f.names), None)
        return ConfigRequest(self.model, config, values, sets, required, ctx, output)

    def _value(self, item: Flag, value: Any) -> Any:
        if item.sets is not None:
            return item.sets
        if item.parse is not None:
            return item.parse(value, item.spelling)
        annotation = strip_none(self.field_of(item.key).annotation)
        if isinstance(value, list) and len(value) == 1 and not is_list(annotation):
            return value[0]  # `str | list[str]`: one value is the scalar
        if is_union(annotation) and isinstance(value, str):  # `int | 'auto'`: as --set reads it
            return dict(parse_overrides([f"value={value}"]))["value"]
        return parse_time(value, item.spelling) if annotation is datetime else value


def _flags(item: Flag | str) -> list[Flag]:
    """A Flag as it is; ``"a b:--bee"``: the flags ``--a`` and ``--bee``."""
    if isinstance(item, Flag):
        return [item]
    return [flag(*word.split(":", 1)) for word in item.split()]


def _import(path: str | type[Any]) -> Any:
    if not isinstance(path, str):
        return path
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _given(value: Any) -> Any:
    """A flag's value as given: None for a repeatable flag not given, lists as lists."""
    return (list(value) or None) if isinstance(value, (tuple, list)) else value


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    kind = inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter(name, kind, default=default, annotation=annotation)


def _click_params(parameters: list[inspect.Parameter]) -> list[Any]:
    """typer's own conversion of a signature into click parameters (public API only)."""

    def command(**values: Any) -> None:
        return None

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    scratch = typer.Typer(add_completion=False)
    scratch.command()(command)
    return list(typer.main.get_command(scratch).params)


def _pick_spelling(value: Any, old_value: Any, spelling: str, old: str) -> Any:
    """A flag's value or its old (hidden) spelling's; both given and differing: ConfigError."""
    if old_value is None or old_value is False:
        return value
    if value is not None and value is not False and value != old_value:
        raise ConfigError(
            f"Both {spelling} {str(value)!r} and {old} {str(old_value)!r} given; "
            f"{old} is the old name of {spelling}: give only {spelling}."
        )
    return old_value


class ConfigCommand(TyperCommand):
    """A typer command whose flags come from ``flags`` (made on first use)."""

    flags: ClassVar[ConfigFlags]
    _own_params: list[Any]
    _all_params: list[Any] | None

    @property
    def params(self) -> list[Any]:
        if self._all_params is None:
            self._all_params = [*self._own_params, *self.flags.params()]
        return self._all_params

    @params.setter
    def params(self, value: list[Any]) -> None:
        self._own_params, self._all_params = list(value), None

    def invoke(self, ctx: Any) -> Any:
        ctx.meta[REQUEST_KEY] = self.flags.request(ctx.params, ctx)
        return super().invoke(ctx)


def config_command(app: typer.Typer, name: str, flags: ConfigFlags) -> Callable[[Any], Any]:
    """Register ``func(request, **own options)`` as command ``name`` of ``app``.

    The first parameter receives the :class:`ConfigRequest`; the others are the
    command's own typer options (outputs the config does not hold, ``--overwrite``).
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        kind = inspect.Parameter.KEYWORD_ONLY
        own = list(inspect.signature(func, eval_str=True).parameters.values())[1:]
        context = inspect.Parameter("ctx", kind, annotation=typer.Context)

        @functools.wraps(func)
        def run(ctx: typer.Context, **values: Any) -> Any:
            return func(ctx.meta[REQUEST_KEY], **values)

        own_params = [p.replace(kind=kind) for p in own]
        run.__signature__ = inspect.Signature([context, *own_params])  # type: ignore[attr-defined]
        run.__annotations__ = {}
        cls = type(f"{func.__name__}_command", (ConfigCommand,), {"flags": flags})
        app.command(name, cls=cls)(run)
        return func

    return register
