from __future__ import annotations

import numpy as np
import pytest

from sarslide.errors import DataSelectionError
from sarslide.sources.aoi import make_geobox, parse_aoi
from sarslide.sources.rtc import group_acquisitions, load_rtc
from sarslide.sources.signing import PlanetaryComputerSigner, QueryTokenSigner, sign_nothing
from sarslide.sources.stac_search import open_catalog, search_items
from tests.sources.servers import LocalHttpServer
from tests.sources.stac_fixtures import AOI_BBOX, LocalStacApi, TokenClock, populate_sentinel1


@pytest.fixture
def api():
    with LocalHttpServer() as server:
        stac = LocalStacApi(server, TokenClock())
        populate_sentinel1(stac)
        yield stac


def _search(api: LocalStacApi, signer):
    aoi = parse_aoi(AOI_BBOX)
    catalog = open_catalog(api.server.url + "/", signer=signer)
    items = search_items(
        catalog,
        collection="sentinel-1-rtc",
        bbox_lonlat=aoi.bbox_lonlat,
        start="2018-08-01",
        end="2018-09-30",
    )
    return items, make_geobox(aoi)


def test_expired_signature_is_renewed_before_the_read(api: LocalStacApi) -> None:
    signer = QueryTokenSigner(api.clock.get_token)
    items, geobox = _search(api, signer)
    assert items[0].assets["vv"].href.endswith("token=token-1")  # signed at search time
    groups = group_acquisitions(items)
    api.clock.rotate()  # token-1 expires: the server now refuses it
    vv = load_rtc(groups, geobox, signer=signer, chunk_px=64)["vv"].values
    assert np.isfinite(vv).mean() > 0.9
    # without re-signing, the same load is refused
    with pytest.raises(Exception, match="403"):
        load_rtc(groups, geobox, signer=sign_nothing, chunk_px=64)["vv"].values  # noqa: B018


def test_search_without_items_is_a_clear_error(api: LocalStacApi) -> None:
    catalog = open_catalog(api.server.url + "/")
    with pytest.raises(DataSelectionError, match="Widen the dates"):
        search_items(
            catalog,
            collection="sentinel-1-rtc",
            bbox_lonlat=(141, 42.4, 141.1, 42.5),
            start="2015-01-01",
            end="2015-02-01",
        )


def test_pass_frames_grouped_and_duplicates_dropped(api: LocalStacApi) -> None:
    items, _ = _search(api, QueryTokenSigner(api.clock.get_token))
    groups = group_acquisitions(items)
    assert [len(g) for g in groups.groups] == [1, 2, 1, 1]
    assert list(groups.skipped) == ["S1A_0_0_rtc_reprocessed"]
    assert groups.orbit_states == ["descending"] * 4


@pytest.mark.filterwarnings("ignore:Support for class-based `config`:DeprecationWarning")
def test_planetary_computer_signer_drops_an_old_sas_before_signing(monkeypatch) -> None:
    import planetary_computer

    seen = []
    monkeypatch.setattr(
        planetary_computer, "sign", lambda url: seen.append(url) or url + "?sig=new"
    )
    signer = PlanetaryComputerSigner()
    old = "https://sentinel1euwestrtc.blob.core.windows.net/rtc/a.tif?st=1&se=2&sig=old"
    assert signer(old) == "https://sentinel1euwestrtc.blob.core.windows.net/rtc/a.tif?sig=new"
    assert seen == ["https://sentinel1euwestrtc.blob.core.windows.net/rtc/a.tif"]
    assert signer("https://example.org/a.tif") == "https://example.org/a.tif"
