"""Console, logging set-up and the error line: used by the CLI only."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape as rich_escape

console = Console()
error_console = Console(stderr=True)


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


def print_error(message: str) -> None:
    """Print a failure as ``error: MESSAGE`` on stderr (no markup interpretation)."""
    error_console.print(
        f"[bold red]error:[/] {rich_escape(message)}", highlight=False, soft_wrap=True
    )
