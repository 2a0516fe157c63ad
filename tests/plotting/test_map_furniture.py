"""Map figures: north arrow to true north, full metric axes, where on Earth, whole titles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyproj import Proj, Transformer

from sarslide.plotting import overview
from sarslide.plotting.map_furniture import (
    add_map_furniture,
    describe_location,
    true_north_deg,
)
from sarslide.plotting.save import load_pyplot
from sarslide.simulate import simulate_event_cube

UTM54 = "EPSG:32654"  # central meridian 141 E


def _extent_around(lon: float, lat: float, crs: str = UTM54) -> tuple[float, ...]:
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return (x - 5000, x + 5000, y - 5000, y + 5000)


@pytest.mark.parametrize("lon, lat", [(143.0, 42.8), (139.0, 42.8), (143.0, -30.0)])
def test_north_arrow_turns_by_the_meridian_convergence(lon: float, lat: float) -> None:
    """PROJ's meridian convergence is the angle from true to grid north: ours, negated."""
    convergence = Proj(UTM54).get_factors(lon, lat).meridian_convergence
    assert abs(convergence) > 0.9  # off the central meridian: a visible turn
    assert true_north_deg(UTM54, _extent_around(lon, lat)) == pytest.approx(-convergence, abs=2e-3)


def test_map_axes_show_full_metres_north_arrow_and_lat_lon() -> None:
    plt = load_pyplot()
    extent = (560000.0, 564200.0, 4737000.0, 4740000.0)
    fig, ax = plt.subplots()
    ax.imshow([[0, 1], [1, 0]], extent=extent)
    add_map_furniture(ax, UTM54, extent)
    fig.canvas.draw()
    try:
        assert ax.yaxis.get_offset_text().get_text() == ""  # no "1e6"
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert labels and all(label.startswith("4,7") for label in labels), labels
        assert "4,738,000" in labels
        texts = [t.get_text() for t in ax.texts]
        assert "N" in texts and "500 m" in texts  # a fifth of 4.2 km, rounded down
        assert "EPSG:32654, centre 42.797° N 141.759° E" in texts
    finally:
        plt.close(fig)


def test_location_names_hemispheres() -> None:
    text = describe_location("EPSG:32754", _extent_around(143.4, -5.4, "EPSG:32754"))
    assert text.startswith("EPSG:32754, centre 5.400° S 143.400° E")


def test_overview_title_stays_inside_the_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The long title was cut at both edges; on two lines it fits the figure."""
    cube = simulate_event_cube(height_px=48, width_px=48, timesteps=6)
    cube.attrs["event_name"] = "Hokkaido Eastern Iburi earthquake, Atsuma (simulated)"
    seen: dict[str, Any] = {}

    def keep(fig: Any, path: Any, **kwargs: Any) -> Path:
        fig.canvas.draw()
        seen["title"] = fig._suptitle.get_window_extent()
        seen["figure"] = fig.bbox
        seen["footer"] = [t.get_text() for t in fig.texts if t is not fig._suptitle]
        seen["arrow"] = [t.get_text() for t in fig.axes[0].texts]
        load_pyplot().close(fig)
        return Path(path)

    monkeypatch.setattr(overview, "save_figure", keep)
    overview.plot_event_overview(cube, tmp_path / "o.png", k=2, dpi=60)
    title, figure = seen["title"], seen["figure"]
    assert figure.x0 <= title.x0 and title.x1 <= figure.x1 and title.y1 <= figure.y1
    assert "N" in seen["arrow"]
    assert any(text.startswith("EPSG:32654, centre") for text in seen["footer"])
