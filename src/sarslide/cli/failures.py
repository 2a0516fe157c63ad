"""One place that turns any exception reaching the CLI into one line and an exit code.

The top-level command group (``apps.ReportingGroup``) calls :func:`describe_failure` on
whatever a command raises. Known classes get a message that names the value and the fix:
sarslide's own errors (they already do), ``OSError`` by errno class (disk full,
permission denied, read-only, a path under a regular file, a refused connection),
pydantic validation errors, a missing optional package, ``KeyboardInterrupt``. Anything
else still gets one line, with the hint to rerun with ``--debug`` for the traceback.
"""

from __future__ import annotations

import errno
import signal
import socket
from dataclasses import dataclass

from sarslide.errors import SarslideError

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
    """What the CLI prints (one line, no traceback) and the exit code it returns."""

    message: str
    exit_code: int = EXIT_FAILURE


def describe_failure(err: BaseException) -> Failure:
    """The one-line message and exit code for an exception that reached the CLI."""
    if isinstance(err, KeyboardInterrupt):  # Ctrl-C, or SIGTERM (see console.py)
        signum = int(getattr(err, "signum", signal.SIGINT))
        message = getattr(err, "message", "") or (
            "terminated (SIGTERM)." if signum == signal.SIGTERM else "interrupted (Ctrl-C)."
        )
        return Failure(message, 128 + signum)
    for cause in _cause_chain(err):
        known = _describe_known(cause)
        if known is not None:
            return Failure(known)
    # only on failure: imports xarray
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
