"""``sarslide data list`` and ``sarslide data fetch``: the published Zenodo cubes."""

from __future__ import annotations

from rich.table import Table

from sarslide.cli.apps import data_app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, argument, config_command, flag
from sarslide.cli.console import console
from sarslide.cli.cube import render_summary


@data_app.command("list")
def list_cubes() -> None:
    """List the published cubes of Boehm et al. (2022), Zenodo record 7248056."""
    from sarslide.sources.zenodo import PUBLISHED_CUBES

    table = Table(title="published datacubes (zenodo.org/record/7248056)")
    for column in ("name", "event", "event start", "event end"):
        table.add_column(column)
    for cube in PUBLISHED_CUBES.values():
        table.add_row(cube.name, cube.event, cube.event_start, cube.event_end)
    console.print(table)


FETCH = ConfigFlags(
    "sarslide.sources.config:FetchConfig",
    argument("name"),
    flag("output_dir", old=["--dest"]),
    "base_url md5",
    flag("checksum", "--no-checksum", sets=False),
    flag("keep_zip", "--keep-zip", sets=True),
)


@config_command(data_app, "fetch", FETCH)
def fetch(request: ConfigRequest) -> None:
    """Download (resuming), verify, extract a published cube, then print its summary."""
    from sarslide.datacube import open_cube, summarize_cube
    from sarslide.sources import zenodo

    cfg = request.load()
    store = zenodo.fetch(cfg, progress=True).store
    console.print(f"[green]fetched[/] {store}")
    render_summary(summarize_cube(open_cube(store)), title=store.name)
