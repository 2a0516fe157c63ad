"""URL signing for STAC assets, renewed before every read.

Signed URLs (Planetary Computer SAS tokens) expire, often within the hour, while a
large build reads for longer. Signing once at search time is therefore not enough:
``ResigningRioDriver`` signs each asset URL again at the moment a dask task opens it,
so every read uses a token that is valid then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from odc.loader._rio import RioDriver

from sarslide.errors import ConfigError
from sarslide.sources.warp import GdalwarpRioReader

logger = logging.getLogger(__name__)


class UrlSigner(Protocol):
    """Return a URL that can be read now (with a fresh token if needed)."""

    def __call__(self, href: str) -> str: ...


def sign_nothing(href: str) -> str:
    """The signer of public, unsigned sources."""
    return href


class PlanetaryComputerSigner:
    """Sign Azure blob URLs with the ``planetary_computer`` package's SAS tokens.

    Any SAS query already on the URL is dropped first: ``planetary_computer.sign``
    leaves an already signed URL unchanged, expired or not. Its token cache renews a
    token about to expire.
    """

    def __call__(self, href: str) -> str:
        parts = urlsplit(href)
        if not parts.netloc.endswith(".blob.core.windows.net"):
            return href  # local files and other hosts: nothing to sign (nothing imported)
        import planetary_computer  # [sources] extra: only for Planetary Computer URLs

        return str(planetary_computer.sign(urlunsplit(parts._replace(query=""))))


class QueryTokenSigner:
    """Put the token of ``get_token()`` in the query parameter ``param``, replacing any.

    For services that take a token in the query string; ``get_token`` is called on
    every signing and is expected to return a currently valid token.
    """

    def __init__(self, get_token: Callable[[], str], *, param: str = "token") -> None:
        self._get_token = get_token
        self._param = param

    def __call__(self, href: str) -> str:
        parts = urlsplit(href)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != self._param]
        query.append((self._param, self._get_token()))
        return urlunsplit(parts._replace(query=urlencode(query)))


def make_signer(name: str) -> UrlSigner:
    """A signer by name: ``"planetary-computer"`` or ``"none"``."""
    signers: dict[str, Callable[[], UrlSigner]] = {
        "planetary-computer": PlanetaryComputerSigner,
        "none": lambda: sign_nothing,
    }
    if name not in signers:
        raise ConfigError(f"Invalid signer {name!r}. Must be one of {sorted(signers)}.")
    return signers[name]()


def sign_items(items: Iterable[Any], signer: UrlSigner) -> None:
    """Sign every asset href of STAC items in place (a pystac-client ``modifier``)."""
    for item in items:
        for asset in item.assets.values():
            asset.href = signer(asset.href)


def make_search_modifier(signer: UrlSigner) -> Callable[[Any], None]:
    """A pystac-client ``modifier`` signing the assets of Items and ItemCollections."""

    def modify(obj: Any) -> None:
        if isinstance(obj, dict):  # items or item collections as plain JSON
            for feature in obj.get("features", [obj]):
                for asset in feature.get("assets", {}).values():
                    asset["href"] = signer(asset["href"])
        elif hasattr(obj, "assets"):
            sign_items([obj], signer)
        elif isinstance(getattr(obj, "items", None), list):
            sign_items(obj.items, signer)

    return modify


class ResigningRioDriver(RioDriver):
    """odc-stac's rasterio driver, signing each asset URL again just before it opens.

    Its reader warps as ``gdalwarp`` does with its defaults (``sarslide.sources.warp``):
    a layer does not depend on the chunk size.
    """

    def __init__(self, signer: UrlSigner, *, grid: Any = None) -> None:
        super().__init__()
        self._signer = signer
        self._grid = grid  # the whole cube grid: chunks are windows of one warp

    def open(self, src: Any, ctx: Any) -> GdalwarpRioReader:
        return GdalwarpRioReader(src.patch(uri=self._signer(src.uri)), ctx, grid=self._grid)
