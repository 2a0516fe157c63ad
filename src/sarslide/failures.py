"""How a job stops: any exception as one line and an exit code; SIGTERM as Ctrl-C.

:func:`describe_failure` words whatever a job raised. Known classes get a message that
names the value and the fix: sarslide's own errors (they already do), ``OSError`` by
errno class (disk full, permission denied, read-only, a path under a regular file, a
refused connection), pydantic validation errors, a missing optional package,
``KeyboardInterrupt``; a failed read of a cube names the refused URL or the corrupt
chunk files. Anything else still gets one line, with the hint to rerun with ``--debug``
for the traceback. The ``sarslide`` command prints this line (``cli/apps.py``); a Python
caller gets the same with ``describe_failure(err).message``.

:func:`sigterm_as_interrupt` makes SIGTERM (a scheduler's stop) interrupt a job as
Ctrl-C does, so every cleanup runs.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sarslide.errors import Interrupted, SarslideError

EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130

_OS_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("No space left on the device", "free space there or choose another output"),
    errno.EDQUOT: ("Disk quota exceeded", "free space there or choose another output"),
    errno.EACCES: ("Permission denied", "choose a folder you can write to, or fix its permissions"),
    errno.EPERM: ("Operation not permitted", "choose a folder you can write to"),
    errno.EROFS: ("Read-only file system", "write to a folder on a writable disk"),
    errno.ENOTDIR: (
        "A parent of this path is a regular file, not a folder",
        "choose an output path whose parents are folders",
    ),
    errno.EISDIR: ("Is a folder, not a file", "give the path of a file"),
    errno.ENOENT: ("No such file or folder", "check the path"),
    errno.ECONNREFUSED: ("Connection refused", "check the address and that the server runs"),
    errno.EHOSTUNREACH: ("Host unreachable", "check the address and the network"),
    errno.ENETUNREACH: ("Network unreachable", "check the network connection"),
    errno.ETIMEDOUT: ("Connection timed out", "check the address and the network"),
    errno.ENOMEM: ("Out of memory", "use smaller tiles, batches or fewer workers"),
}


@dataclass(frozen=True)
class Failure:
    """One line (no traceback) and the exit code a command returns."""

    message: str
    exit_code: int = EXIT_FAILURE


def describe_failure(err: BaseException) -> Failure:
    """The one-line message and exit code of an exception that stopped a job."""
    if isinstance(err, KeyboardInterrupt):  # Ctrl-C, or SIGTERM (sigterm_as_interrupt)
        signum = int(getattr(err, "signum", signal.SIGINT))
        message = getattr(err, "message", "") or (
            "terminated (SIGTERM)." if signum == signal.SIGTERM else "interrupted (Ctrl-C)."
        )
        return Failure(message, 128 + signum)
    for cause in _cause_chain(err):
        known = _describe_known(cause)
        if known is not None:
            return Failure(known)
    # imported on failure only: the CLI imports this module at start-up without xarray
    from sarslide.datacube.integrity import describe_corrupt_chunks, network_error

    refused = network_error(err)  # a remote store's chunk refused in the middle of a run
    if refused is not None:
        return Failure(str(refused))
    corrupt = describe_corrupt_chunks(err)
    if corrupt is not None:
        return Failure(corrupt)
    kind = type(err).__name__
    return Failure(
        f"unexpected {kind}: {_first_line(str(err)) or 'no message'} "
        "(rerun with --debug for the traceback, and please report it)."
    )


def _describe_known(err: BaseException) -> str | None:
    if isinstance(err, SarslideError):
        return str(err)
    if _is_validation_error(err):
        return _describe_validation_error(err)
    if isinstance(err, ModuleNotFoundError):
        name = (err.name or "?").split(".")[0]
        return (
            f"The optional package {name!r} is not installed: install it "
            f"(pip install {name}) and run the command again."
        )
    if isinstance(err, socket.gaierror):
        return f"Cannot resolve the host name ({err.strerror}): check the address."
    if isinstance(err, OSError) and err.errno in _OS_FIXES:
        what, fix = _OS_FIXES[err.errno]
        where = _os_paths(err)
        return f"{what}{': ' + where if where else ''}: {fix}."
    if isinstance(err, MemoryError):
        return "Out of memory: use smaller tiles, batches or fewer workers."
    return None


def _cause_chain(err: BaseException) -> list[BaseException]:
    """The exception, then what it was raised from, outermost first (no cycles)."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _os_paths(err: OSError) -> str:
    names = [str(n) for n in (err.filename, err.filename2) if n]
    return " -> ".join(repr(n) for n in names)


def _is_validation_error(err: BaseException) -> bool:
    return type(err).__name__ == "ValidationError" and hasattr(err, "errors")


def _describe_validation_error(err: BaseException) -> str:
    problems = []
    for item in err.errors():  # type: ignore[attr-defined]
        where = ".".join(str(part) for part in item.get("loc", ())) or "value"
        got = item.get("input")
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        problems.append(f"{where}: {item.get('msg', 'invalid')}{shown}")
    title = getattr(err, "title", "settings")
    return f"Invalid {title}: " + "; ".join(problems) + ". Fix these values and run again."


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def raise_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM handler: stop like Ctrl-C (every cleanup runs), remembering the signal."""
    raise Interrupted("terminated (SIGTERM)", signum=signal.SIGTERM)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside, SIGTERM interrupts like Ctrl-C (the CLI group sets it).

    ``Interrupted`` is a KeyboardInterrupt: writers stop, temporary outputs are removed,
    and the CLI exits 143 (130 for Ctrl-C). The previous handler is restored on leaving.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
