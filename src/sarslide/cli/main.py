"""Entry point of the ``sarslide`` command: imports every command module (registers it)."""

from __future__ import annotations

import typer

from sarslide import __version__
from sarslide.cli import (  # noqa: F401  (each registers its commands)
    ablation,
    cube,
    demo,
    evaluate,
    insar,
    predict,
    respond,
    train,
    transfer,
)
from sarslide.cli.apps import app
from sarslide.cli.console import configure_logging


def _print_version(value: bool) -> None:
    """Eager ``--version``: runs before typer asks for a command."""
    if value:
        typer.echo(f"sarslide {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output."),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback of an error (env SARSLIDE_DEBUG=1)."
    ),
) -> None:
    configure_logging(verbose)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
