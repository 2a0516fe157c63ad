"""Entry point of the ``sarslide`` command: imports every command module."""

from __future__ import annotations

import typer

from sarslide import __version__
from sarslide.cli import ablation  # noqa: F401
from sarslide.cli import build  # noqa: F401
from sarslide.cli import cube  # noqa: F401  (registers commands)
from sarslide.cli import data  # noqa: F401
from sarslide.cli import demo  # noqa: F401
from sarslide.cli import evaluate  # noqa: F401
from sarslide.cli import insar  # noqa: F401
from sarslide.cli import predict  # noqa: F401
from sarslide.cli import simulate  # noqa: F401
from sarslide.cli import train  # noqa: F401
from sarslide.cli.apps import app
from sarslide.cli.console import configure_logging


@app.callback()
def _main(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    configure_logging(verbose)
    if version:
        typer.echo(__version__)
        raise typer.Exit()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
