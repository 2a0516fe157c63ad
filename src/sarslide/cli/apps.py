"""The typer apps that command modules attach to.

Each command module (``cli/cube.py``, ``cli/train.py``, ...) decorates functions on
one of these apps and imports heavy libraries (torch, STAC clients) inside its
command functions, so that ``sarslide --help`` stays fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sarslide",
    help="Landslide maps from Sentinel-1 SAR datacubes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
cube_app = typer.Typer(help="Build, simulate and inspect datacubes.", no_args_is_help=True)
data_app = typer.Typer(help="Fetch published datacubes.", no_args_is_help=True)
insar_app = typer.Typer(help="ISSLIDE: slow-moving landslides in InSAR.", no_args_is_help=True)
app.add_typer(cube_app, name="cube")
app.add_typer(data_app, name="data")
app.add_typer(insar_app, name="insar")
