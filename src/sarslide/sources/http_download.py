"""Download one file over HTTP(S): resume with Range, check size and md5, rename at the end.

The bytes go to ``<name>.part`` beside the target; a failed attempt keeps the part so the
next attempt, or the next run, resumes it. A body without ``Content-Length`` is completed
by asking the server for the rest until it answers 416 (nothing left).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from sarslide.errors import DownloadError, Interrupted

logger = logging.getLogger(__name__)
CHUNK_BYTES = 1 << 16
TIMEOUT_S = 60.0


def download_file(
    url: str,
    path: str | os.PathLike[str],
    *,
    expected_md5: str | None = None,
    progress: bool = True,
    max_attempts: int = 5,
    session: Any = None,
) -> Path:
    """Download ``url`` to ``path`` via ``path.part``, resuming with HTTP Range.

    The file takes its final name only once its size matches the server's and its
    md5 matches ``expected_md5`` (when given). A failed attempt keeps the ``.part``
    file so the next attempt (or the next run) resumes it.
    """
    # [sources] extra: imported where a live source is read.
    import requests

    target = Path(path)
    partial = target.with_name(target.name + ".part")
    http = session or requests.Session()
    last_error: Exception | None = None
    for attempt in range(1, max_attempts + 1):
        before = partial.stat().st_size if partial.exists() else 0
        try:
            total, resumable = _download_attempt(http, url, partial, progress=progress)
        except DownloadError as err:
            raise _with_partial_note(err, partial) from err
        except KeyboardInterrupt as err:  # Ctrl-C or SIGTERM: say what is kept
            raise _interrupted_download(err, url, partial) from err
        except (requests.RequestException, OSError) as err:
            last_error = err
            logger.warning(
                "download of %s interrupted (attempt %d/%d): %s", url, attempt, max_attempts, err
            )
            continue
        size = partial.stat().st_size
        if total is None and resumable and size > before:
            # No Content-Length: the body's end may be a cut connection. Ask for the
            # rest; the server answers 416 (nothing left) once the file is complete.
            last_error = DownloadError(f"got {size} bytes, the server gave no total size")
            logger.info("%s: %d bytes without a length; asking for the rest", url, size)
            continue
        if total is not None and size < total:
            last_error = DownloadError(f"got {size} of {total} bytes")
            logger.warning(
                "download of %s truncated at %d of %d bytes (attempt %d/%d)",
                url,
                size,
                total,
                attempt,
                max_attempts,
            )
            continue
        break
    else:
        kept = (
            f"The partial file {str(partial)!r} is kept; run the command again to resume."
            if partial.exists()
            else "Nothing was downloaded; check the URL and the network, then run it again."
        )
        raise DownloadError(
            f"Downloading {url} failed after {max_attempts} attempts ({last_error}). {kept}"
        )
    if expected_md5 is not None:
        found = md5_of(partial)
        if found != expected_md5.lower():
            partial.unlink()
            raise DownloadError(
                f"Checksum mismatch for {url}: md5 {found}, expected {expected_md5}. The "
                "corrupt file was deleted; run the command again."
            )
    partial.replace(target)
    return target


def _with_partial_note(err: DownloadError, partial: Path) -> DownloadError:
    """``err`` with a note on the partial file it leaves, if any (a rerun resumes it)."""
    if not partial.exists():
        return err
    return DownloadError(
        f"{err} The partial file {str(partial)!r} ({partial.stat().st_size} bytes) is kept: "
        "the same command resumes it once the URL answers; delete it to start afresh."
    )


def _interrupted_download(err: KeyboardInterrupt, url: str, partial: Path) -> Interrupted:
    """The interruption of a download, naming the partial file the next run resumes."""
    signum = int(getattr(err, "signum", signal.SIGINT))
    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    kept = (
        f"the partial file {str(partial)!r} ({partial.stat().st_size} bytes) is kept; run "
        "the same command to resume it"
        if partial.exists()
        else "nothing was kept; run the same command again"
    )
    return Interrupted(f"download of {url} interrupted ({name}); {kept}.", signum=signum)


def _download_attempt(
    http: Any, url: str, partial: Path, *, progress: bool
) -> tuple[int | None, bool]:
    """One GET (with Range when resuming).

    Returns the full size when the server says it (None otherwise) and whether the
    server serves byte ranges (so that a body without a length can be completed).
    """
    offset = partial.stat().st_size if partial.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with http.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as response:
        if response.status_code == 416:  # nothing left to send: the part is complete
            return offset, True
        if response.status_code == 404:
            raise DownloadError(f"{url} does not exist (HTTP 404); check the name and base URL.")
        response.raise_for_status()
        if offset and response.status_code != 206:
            logger.info("server ignored the Range request: restarting %s", url)
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        resumable = response.status_code == 206 or response.headers.get("Accept-Ranges") == "bytes"
        mode = "ab" if offset else "wb"
        with (
            open(partial, mode) as sink,
            _progress_bar(progress, partial.name, total, offset) as bar,
        ):
            for block in response.iter_content(CHUNK_BYTES):
                sink.write(block)
                bar(len(block))
    return total, resumable


class _progress_bar:  # noqa: N801 - used as a context manager like a function
    def __init__(self, enabled: bool, name: str, total: int | None, done: int) -> None:
        self._enabled, self._name, self._total, self._done = enabled, name, total, done
        self._progress: Any = None

    def __enter__(self) -> Any:
        if not self._enabled:
            return lambda n: None

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        self._progress.start()
        task = self._progress.add_task(self._name, total=self._total, completed=self._done)
        return lambda n: self._progress.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def md5_of(path: Path) -> str:
    """The md5 hex digest of a file, read in blocks."""
    digest = hashlib.md5()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
