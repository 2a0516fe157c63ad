"""``sarslide data list`` and ``sarslide data fetch``: the published Zenodo cubes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from sarslide.cli import options as opt
from sarslide.cli.apps import data_app
from sarslide.cli.console import console, report_errors
from sarslide.cli.cube import render_summary

FETCH_CONFIG_HELP = (
    "YAML config file (keys of sarslide.sources.zenodo.FetchConfig); the options below "
    "and --set override its keys. See docs/configs.md."
)


@data_app.command("list")
@report_errors
def list_cubes() -> None:
    """List the published cubes of Boehm et al. (2022), Zenodo record 7248056."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.sources.zenodo import PUBLISHED_CUBES

    table = Table(title="published datacubes (zenodo.org/record/7248056)")
    for column in ("name", "event", "event start", "event end"):
        table.add_column(column)
    for cube in PUBLISHED_CUBES.values():
        table.add_row(cube.name, cube.event, cube.event_start, cube.event_end)
    console.print(table)


@data_app.command("fetch")
@report_errors
def fetch(
    name: str | None = typer.Argument(
        None, help="Cube name, e.g. hokkaido_japan (name; see 'data list')."
    ),
    config: Path | None = opt.config_option(FETCH_CONFIG_HELP),
    output: Path | None = opt.output_option("Folder for the extracted store (output_dir)."),
    dest: Path | None = opt.hidden_alias_option("--dest"),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Mirror serving <name>.zip (base_url)."
    ),
    md5: str | None = typer.Option(
        None, "--md5", help="Expected md5 (md5; default: from the Zenodo record)."
    ),
    no_checksum: bool | None = typer.Option(
        None, "--no-checksum", help="Do not ask Zenodo for the md5 (checksum: false)."
    ),
    keep_zip: bool | None = typer.Option(
        None, "--keep-zip", help="Keep the zip after extraction (keep_zip)."
    ),
    overrides: list[str] = opt.set_option(),
) -> None:
    """Download (resuming), verify, extract a published cube, then print its summary."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.datacube import open_cube, summarize_cube
    from sarslide.sources import zenodo

    flags = {
        "name": name,
        "output_dir": opt.pick_output(output, dest, "--dest"),
        "base_url": base_url,
        "md5": md5,
        "checksum": False if no_checksum else None,
        "keep_zip": keep_zip or None,
    }
    cfg = opt.load_command_config(zenodo.FetchConfig, config, overrides, flags)
    store = zenodo.fetch_published_cube(
        cfg.name,
        Path(cfg.output_dir),
        base_url=cfg.base_url,
        api_url=cfg.api_url if cfg.checksum else None,
        md5=cfg.md5,
        keep_zip=cfg.keep_zip,
        progress=True,
    )
    console.print(f"[green]fetched[/] {store}")
    render_summary(summarize_cube(open_cube(store)), title=store.name)
