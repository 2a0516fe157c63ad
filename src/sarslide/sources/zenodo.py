"""The published datacubes of Boehm et al. (2022), Zenodo record 7248056.

Download with a progress bar, resume a partial download with HTTP Range, verify the
md5 checksum, and extract the zip so that no entry can land outside the target
folder. The store appears under its final name only once it is complete.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sarslide.atomic import replacing
from sarslide.datacube import open_cube
from sarslide.errors import (
    ConfigError,
    CubeContentError,
    CubeNotFoundError,
    CubeValidationError,
    DownloadError,
    OutputLocationError,
)
from sarslide.output_checks import check_output_location
from sarslide.ownership import claim_output, write_manifest
from sarslide.sources.config import DEFAULT_API_URL, DEFAULT_BASE_URL, FetchConfig
from sarslide.sources.http_download import CHUNK_BYTES, TIMEOUT_S, download_file, md5_of

if TYPE_CHECKING:
    from rich.table import Table

logger = logging.getLogger(__name__)
FETCH_COMMAND = "data fetch"  # named in the manifest of each extracted store


@dataclass(frozen=True)
class PublishedCube:
    """One of the four published cubes: its file stem and triggering event window."""

    name: str
    event: str
    event_start: str
    event_end: str

    @property
    def filename(self) -> str:
        return f"{self.name}.zip"


PUBLISHED_CUBES: dict[str, PublishedCube] = {
    c.name: c
    for c in (
        PublishedCube(
            "hokkaido_japan", "2018 Iburi earthquake, Hokkaido", "2018-09-05", "2018-09-07"
        ),
        PublishedCube(
            "kaikoura_newzealand", "2016 Kaikoura earthquake", "2016-11-14", "2016-11-15"
        ),
        PublishedCube(
            "talakmau_indonesia", "2022 Mt Talakmau earthquake", "2022-02-25", "2022-02-26"
        ),
        PublishedCube("puerto_rico", "2017 Hurricane Maria", "2017-09-20", "2017-09-21"),
    )
}


def published_cubes_table() -> Table:
    """The published cubes as the table ``sarslide data list`` prints."""
    from rich.table import Table

    table = Table(title="published datacubes (zenodo.org/record/7248056)")
    for column in ("name", "event", "event start", "event end"):
        table.add_column(column)
    for cube in PUBLISHED_CUBES.values():
        table.add_row(cube.name, cube.event, cube.event_start, cube.event_end)
    return table


def get_published_cube(name: str) -> PublishedCube:
    """Look up a published cube by name (``hokkaido_japan`` or ``hokkaido``)."""
    key = name.lower().removesuffix(".zip").removesuffix(".zarr")
    matches = [c for n, c in PUBLISHED_CUBES.items() if n == key or n.split("_")[0] == key]
    if len(matches) != 1:
        raise ConfigError(
            f"Invalid cube name {name!r}. Must be one of {sorted(PUBLISHED_CUBES)} "
            "(or their first word, e.g. 'hokkaido')."
        )
    return matches[0]


@dataclass(frozen=True)
class FetchResult:
    """What ``fetch`` wrote: the extracted, verified Zarr store."""

    store: Path


def fetch(cfg: FetchConfig, *, progress: bool = False) -> FetchResult:
    """``sarslide data fetch`` as a call: the cube ``cfg.name`` into ``cfg.output_dir``.

    Returns:
        The path of the extracted Zarr store (``.store``).
    """
    store = fetch_published_cube(
        cfg.name,
        Path(cfg.output_dir),
        base_url=cfg.base_url,
        api_url=cfg.api_url if cfg.checksum else None,
        md5=cfg.md5,
        keep_zip=cfg.keep_zip,
        progress=progress,
    )
    return FetchResult(store)


def fetch_published_cube(
    name: str,
    dest: str | os.PathLike[str],
    *,
    base_url: str = DEFAULT_BASE_URL,
    api_url: str | None = DEFAULT_API_URL,
    md5: str | None = None,
    keep_zip: bool = False,
    progress: bool = True,
    max_attempts: int = 5,
) -> Path:
    """Download, verify and extract a published cube; return the path of its Zarr store.

    Args:
        name: a key of ``PUBLISHED_CUBES``.
        dest: folder receiving the zip and the extracted store.
        base_url: where ``<name>.zip`` is served (tests point it at 127.0.0.1).
        api_url: Zenodo record API giving the md5 of each file; None to skip.
        md5: expected md5 (hex); overrides the record's.
        keep_zip: keep the zip after extraction.
        progress: show a rich progress bar.
        max_attempts: downloads attempts, each resuming the previous.

    Raises:
        DownloadError: the download failed, stayed truncated, or its checksum differs.
    """
    cube = get_published_cube(name)
    folder = Path(dest).expanduser()
    if md5 is not None and not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
        raise ConfigError(f"Invalid md5={md5!r}: an md5 is 32 hex digits (0-9, a-f).")
    if folder.exists() and not folder.is_dir():
        raise OutputLocationError(
            f"Cannot fetch into {str(folder)!r}: it is a file, not a folder. Choose a "
            "folder for -o/--output (it is created if missing)."
        )
    check_output_location(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _download_and_extract(
            cube, folder, base_url, api_url, md5, keep_zip, progress, max_attempts
        )
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()  # nothing was kept in it (no .part): leave no empty folder
        raise


def _download_and_extract(
    cube: PublishedCube,
    folder: Path,
    base_url: str,
    api_url: str | None,
    md5: str | None,
    keep_zip: bool,
    progress: bool,
    max_attempts: int,
) -> Path:
    """The body of :func:`fetch_published_cube` once ``folder`` exists."""
    expected_md5 = md5 or (_lookup_record_md5(api_url, cube.filename) if api_url else None)
    if expected_md5 is None:
        logger.warning("no checksum known for %s: relying on size and zip CRCs", cube.filename)
    zip_path = folder / cube.filename
    url = f"{base_url.rstrip('/')}/{cube.filename}"
    if not (zip_path.exists() and expected_md5 and md5_of(zip_path) == expected_md5):
        download_file(
            url, zip_path, expected_md5=expected_md5, progress=progress, max_attempts=max_attempts
        )
    if not zipfile.is_zipfile(zip_path):
        size = zip_path.stat().st_size
        zip_path.unlink()
        raise DownloadError(
            f"The file downloaded from {url} is not a zip ({size} bytes: truncated, or not "
            f"the cube); {str(zip_path)!r} was deleted. Run the same command again to "
            "download it again, with the checksum on (drop --no-checksum) to catch a cut."
        )
    try:
        store = extract_zip_safely(zip_path, folder, check=_check_is_cube)
    except DownloadError:
        if not keep_zip:
            zip_path.unlink(missing_ok=True)
        raise
    if not keep_zip:
        zip_path.unlink()
    return store


def _check_is_cube(store: Path, final: Path) -> None:
    """Refuse an extracted store (``store``, to be renamed ``final``) that is no datacube."""
    try:
        open_cube(store, task="any")
    except (CubeNotFoundError, CubeValidationError, CubeContentError) as err:
        problems = getattr(err, "problems", None) or [str(err)]
        detail = "; ".join(p.rstrip(".") for p in problems).replace(str(store), str(final))
        kept = f", the store already in {str(final.parent)!r} is kept" if final.exists() else ""
        raise DownloadError(
            f"The zip holds a Zarr store {final.name!r} that is not a sarslide datacube "
            f"({detail}); nothing was extracted and the zip was deleted{kept}. Check the "
            "cube name and --base-url."
        ) from err


def extract_zip_safely(
    zip_path: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    check: Callable[[Path, Path], object] | None = None,
) -> Path:
    """Extract a zip holding one ``*.zarr`` store into ``dest``; return the store path.

    Every entry is checked before anything is written: absolute paths, drive letters
    and ``..`` components are refused. Only the store's entries are extracted, into a
    temporary folder renamed into place at the end. An existing folder of the same
    name is replaced only if an earlier ``sarslide data fetch`` wrote it: a name found
    inside a downloaded zip never deletes a user's folder. ``check(tmp, final)``, when
    given, inspects the extracted store before the rename; what it raises leaves
    nothing behind.

    Raises:
        DownloadError: unsafe entries, a corrupt zip, or no Zarr store inside.
        OutputExistsError: ``dest`` holds a folder of the store's name that
            ``data fetch`` did not write.
    """
    archive_path = Path(zip_path)
    folder = Path(dest)
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile as err:
        raise DownloadError(
            f"{str(archive_path)!r} is not a valid zip ({err}); delete it and fetch again."
        ) from err
    with archive:
        members = [i for i in archive.infolist() if i.filename.strip("/")]
        unsafe = [info.filename for info in members if not _is_safe_member(info.filename)]
        if unsafe:
            raise DownloadError(
                f"Refusing to extract {str(archive_path)!r}: {len(unsafe)} entries would "
                f"write outside {str(folder)!r} (e.g. {unsafe[:3]}). The archive is unsafe."
            )
        target, prefix = _store_in_archive(archive_path, members, folder)
        with claim_output(target, FETCH_COMMAND, overwrite=True), replacing(target) as tmp:
            try:
                for info in members:
                    relative = PurePosixPath(info.filename.replace("\\", "/"))
                    if prefix and (not relative.parts or relative.parts[0] != prefix):
                        continue
                    out = tmp.joinpath(*relative.parts[1 if prefix else 0 :])
                    if info.is_dir():
                        out.mkdir(parents=True, exist_ok=True)
                        continue
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as source, open(out, "wb") as sink:
                        shutil.copyfileobj(source, sink, CHUNK_BYTES)
            except (zipfile.BadZipFile, OSError) as err:
                raise DownloadError(f"Extracting {str(archive_path)!r} failed ({err}).") from err
            tmp.mkdir(exist_ok=True)
            if check is not None:
                check(tmp, target)
            write_manifest(tmp, FETCH_COMMAND, archive=archive_path.name)
    return target


def _store_in_archive(
    archive_path: Path, members: list[zipfile.ZipInfo], folder: Path
) -> tuple[Path, str]:
    """The store's path in ``folder`` and its top folder in the archive ("" at the root)."""
    tops = {PurePosixPath(i.filename.replace("\\", "/")).parts[0] for i in members}
    stores = [t for t in tops if t.endswith(".zarr")]
    if len(stores) == 1:
        return folder / stores[0], stores[0]
    if tops & {".zgroup", ".zmetadata", "zarr.json"}:
        return folder / f"{archive_path.stem}.zarr", ""
    raise DownloadError(
        f"{str(archive_path)!r} holds no single Zarr store (top-level entries: {sorted(tops)[:5]})."
    )


def _is_safe_member(name: str) -> bool:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return False
    return ".." not in PurePosixPath(normalized).parts


def _lookup_record_md5(api_url: str, filename: str) -> str | None:
    """The md5 of ``filename`` from the Zenodo record API; None if unreachable."""
    # [sources] extra: imported where a live source is read.
    import requests

    try:
        response = requests.get(api_url, timeout=TIMEOUT_S)
        response.raise_for_status()
        record = response.json()
    except (requests.RequestException, ValueError) as err:
        logger.warning("could not read checksums from %s: %s", api_url, err)
        return None
    files = record.get("files") or []
    if isinstance(files, dict):  # newer API: {"entries": {name: {...}}}
        files = list(files.get("entries", {}).values())
    for entry in files:
        if entry.get("key", entry.get("filename")) == filename:
            checksum = str(entry.get("checksum", ""))
            return checksum.split(":", 1)[1] if checksum.startswith("md5:") else None
    logger.warning("the record at %s lists no file %s", api_url, filename)
    return None
