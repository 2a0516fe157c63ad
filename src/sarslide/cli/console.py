"""Console, logging set-up and error reporting: used by the CLI only."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler

from sarslide.errors import SarslideError

console = Console()
error_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def configure_logging(verbose: int = 0) -> None:
    """Log sarslide's messages to stderr through rich; -v for debug."""
    level = logging.DEBUG if verbose > 0 else logging.INFO
    logging.basicConfig(
        level=logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=error_console, show_path=False)],
        force=True,
    )
    logging.getLogger("sarslide").setLevel(level)
    route_lightning_logs_through_rich()


def route_lightning_logs_through_rich() -> None:
    """Stop Lightning printing each message twice (its own handler, then rich).

    ``import lightning`` adds a plain stderr handler to the ``lightning`` logger; that
    import happens later, inside commands, so the logger object is told now to keep no
    handler of its own: its records reach the rich handler on the root logger.
    """
    lightning_logger = logging.getLogger("lightning")
    lightning_logger.handlers.clear()
    lightning_logger.addHandler = _ignore_handler  # type: ignore[method-assign,assignment]


def _ignore_handler(handler: logging.Handler) -> None:
    return None


def report_errors(func: F) -> F:
    """Turn a SarslideError into a clear message and exit code 1 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SarslideError as err:
            error_console.print(f"[bold red]error:[/] {err}", highlight=False, markup=True)
            raise typer.Exit(code=1) from err

    return wrapper  # type: ignore[return-value]
