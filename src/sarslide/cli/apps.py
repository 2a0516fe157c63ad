"""The typer apps that command modules attach to, and the CLI's one error handler.

Each command module (``cli/cube.py``, ``cli/train.py``, ...) decorates functions on
one of these apps and imports heavy libraries (torch, STAC clients) inside its
command functions, so that ``sarslide --help`` stays fast.

Every exception a command raises reaches :class:`ReportingGroup`, the top-level group:
without ``--debug`` it prints one line (``sarslide.failures`` words it) and exits non-zero;
with ``--debug`` the exception propagates and Python prints the traceback.
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.core import TyperGroup

from sarslide.cli.console import print_error
from sarslide.failures import describe_failure, sigterm_as_interrupt

DEBUG_ENV = "SARSLIDE_DEBUG"


# Exits, aborts and usage errors pass through to typer, which prints and exits as usual
# (typer vendors its own click: its exceptions are typer's, not the click package's).
_CLI_EXITS = (typer.Exit, typer.Abort, typer.TyperException)


class ReportingGroup(TyperGroup):
    """The ``sarslide`` group: any failure of a command becomes one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            with sigterm_as_interrupt():  # SIGTERM stops a command as Ctrl-C does
                return super().invoke(ctx)
        except _CLI_EXITS:
            raise
        except (Exception, KeyboardInterrupt) as err:
            if ctx.params.get("debug") or os.environ.get(DEBUG_ENV, "") not in ("", "0"):
                raise

            failure = describe_failure(err)
            print_error(failure.message)
            raise typer.Exit(code=failure.exit_code) from None


app = typer.Typer(
    name="sarslide",
    help="Landslide maps from Sentinel-1 SAR datacubes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=ReportingGroup,
)
cube_app = typer.Typer(help="Build, simulate and inspect datacubes.", no_args_is_help=True)
data_app = typer.Typer(help="Fetch published datacubes.", no_args_is_help=True)
insar_app = typer.Typer(help="ISSLIDE: slow-moving landslides in InSAR.", no_args_is_help=True)
app.add_typer(cube_app, name="cube")
app.add_typer(data_app, name="data")
app.add_typer(insar_app, name="insar")
