"""Search a STAC API for the items of a collection over an AOI and a time range."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from sarslide.errors import ConfigError, DataSelectionError
from sarslide.sources.catalog_names import PLANETARY_COMPUTER_STAC
from sarslide.sources.signing import UrlSigner, make_search_modifier

if TYPE_CHECKING:
    import pystac
    import pystac_client

logger = logging.getLogger(__name__)


def open_catalog(stac_url: str, *, signer: UrlSigner | None = None) -> pystac_client.Client:
    """Open a STAC API; items it returns get their assets signed by ``signer``.

    Raises:
        ConfigError: the URL cannot be reached or is not a STAC API.
    """
    # [sources] extra: imported where a live source is read.
    import pystac_client
    import requests

    try:
        return pystac_client.Client.open(
            stac_url, modifier=make_search_modifier(signer) if signer else None
        )
    except (requests.RequestException, pystac_client.exceptions.APIError, ValueError) as err:
        raise ConfigError(
            f"Cannot open the STAC API at {stac_url!r} ({type(err).__name__}: {err}). "
            f"Check --stac-url (default {PLANETARY_COMPUTER_STAC}) and the network."
        ) from err


def search_items(
    catalog: pystac_client.Client,
    *,
    collection: str,
    bbox_lonlat: tuple[float, float, float, float],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    query: dict[str, Any] | None = None,
    max_items: int | None = None,
    flag: str = "--collection",
) -> list[pystac.Item]:
    """All items of ``collection`` intersecting the bbox in [start, end], sorted by time.

    ``flag`` is the option that chooses ``collection`` (named in the errors).

    Raises:
        DataSelectionError: no item matches, with the search parameters to revise.
    """
    # [sources] extra: imported where a live source is read.
    import pystac_client

    datetime = None
    if start is not None or end is not None:
        if isinstance(end, str) and len(end) <= 10:  # a bare date includes that whole day
            end = pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        datetime = f"{_iso(start) if start else '..'}/{_iso(end) if end else '..'}"
    try:
        search = catalog.search(
            collections=[collection],
            bbox=bbox_lonlat,
            datetime=datetime,
            query=query,
            max_items=max_items,
        )
        items = list(search.items())
    except pystac_client.exceptions.APIError as err:
        raise ConfigError(
            f"The STAC search of {collection!r} failed ({err}); check the collection name "
            f"({flag}) and the query."
        ) from err
    if not items:
        raise DataSelectionError(
            f"No {collection!r} items over bbox {tuple(round(v, 4) for v in bbox_lonlat)} "
            f"in {datetime or 'any time'}. Widen the dates or the AOI, or check the "
            f"collection name ({flag})."
        )
    items.sort(key=lambda item: (item.datetime or pd.Timestamp.min, item.id))
    logger.info("found %d %s items", len(items), collection)
    return items


def _iso(value: str | pd.Timestamp) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
