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
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sarslide.errors import Interrupted, SarslideError

logger = logging.getLogger(__name__)

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
    """SIGTERM handler: stop like Ctrl-C (every cleanup runs), remembering the signal;
    once the command's outputs are committed (:class:`OutputCommit`), let it finish."""
    if _COMMITTED:
        _say_finishing(signal.SIGTERM, _COMMITTED[-1])
        return
    raise Interrupted("terminated (SIGTERM)", signum=signal.SIGTERM)


def _interrupt_on_sigint(signum: int, frame: Any) -> None:
    if _COMMITTED:
        _say_finishing(signal.SIGINT, _COMMITTED[-1])
        return
    signal.default_int_handler(signum, frame)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside, SIGTERM interrupts like Ctrl-C (the CLI group sets it).

    ``Interrupted`` is a KeyboardInterrupt: writers stop, temporary outputs are removed,
    and the CLI exits 143 (130 for Ctrl-C). After the command's final outputs are
    committed (:class:`OutputCommit`) neither signal stops it: it finishes with exit 0
    and a warning. The previous handlers are restored on leaving.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_on_sigterm)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:  # leave any other handler alone
        signal.signal(signal.SIGINT, _interrupt_on_sigint)
    _COMMITTED.clear()
    try:
        yield
    finally:
        _COMMITTED.clear()
        signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)


# what the running command committed as its final outputs (OutputCommit; per command)
_COMMITTED: list[str] = []


class OutputCommit:
    """The commit of a command's final outputs: several files renamed into place.

    Enter it before the outputs' ``atomic.replacing`` contexts (so that it leaves after
    them) and call :meth:`hold` once they are written: from then on SIGINT and SIGTERM
    wait until every rename is done, so the outputs are all the old ones or all the new
    ones, never a mix. Left without an error, the outputs are complete and in place:
    the command's job is done. A signal that came during the renames, or comes while
    the command reports and exits, then finishes it with exit 0 and a warning instead
    of stopping it with 130/143 (a batch scheduler's time-limit SIGTERM just after the
    files were written used to make ``sarslide export`` exit 143 with complete files).
    ``final=False`` (outputs a job writes before more work): a signal held during the
    renames is delivered once they are done, and the job stops as usual.
    """

    def __init__(self, what: str, *, final: bool) -> None:
        self.what = what
        self.final = final
        self._previous: dict[int, Any] = {}
        self._caught: list[int] = []

    def __enter__(self) -> OutputCommit:
        return self

    def hold(self) -> None:
        """Hold SIGINT and SIGTERM until the commit ends (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._record)

    def _record(self, signum: int, frame: Any) -> None:
        self._caught.append(signum)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if exc_type is None and self.final:
            _COMMITTED.append(self.what)
            for signum in dict.fromkeys(self._caught):
                _say_finishing(signum, self.what)
        elif exc_type is None:
            for signum in dict.fromkeys(self._caught):
                signal.raise_signal(signum)  # the renames are done: stop now


def _say_finishing(signum: int, what: str) -> None:
    logger.warning(
        "%s arrived after %s were complete and in place: they are kept, and the command finishes",
        signal.Signals(signum).name,
        what,
    )
