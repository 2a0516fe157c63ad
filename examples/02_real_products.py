# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Real products on disk: OPERA RTC-S1 files -> cube -> map of an event
#
# `sarslide respond` takes the Sentinel-1 products a model needs around an event,
# builds the datacube and maps it. Here the products are **real** OPERA RTC-S1 bursts
# already on disk: the 50 x 50 px cuts of the dist-s1 test series vendored in
# `tests/data/s1-rtc-opera-dists1-10SGD` (track 137, four dates of October-November
# 2023, three bursts a date; see `tests/data/ATTRIBUTION.md`). Nothing is downloaded.
#
# The model is trained here on a small **simulated** cube, so the map shows the
# plumbing (acquisition choice, burst mosaic, warp to a UTM grid, tiled prediction),
# not landslides: a model for real events is trained on real cubes
# (`sarslide data fetch`, docs/build.md). The event date is made up.
#
# Run from `examples/` (or set `SARSLIDE_EXAMPLE_DATA` to the `tests/data` folder).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import rioxarray

import sarslide
from sarslide.datacube import open_cube, summarize_cube, write_cube

SMALL = os.environ.get("SARSLIDE_EXAMPLE_SIZE") == "small"
DATA = Path(os.environ.get("SARSLIDE_EXAMPLE_DATA", "../tests/data"))
SERIES = DATA / "s1-rtc-opera-dists1-10SGD"
OUT = Path(os.environ.get("SARSLIDE_EXAMPLE_OUT", "example-output")) / "real-products"
print(sorted(p.name for p in (SERIES / "track137" / "2023-10-04").iterdir()))

# %% [markdown]
# ## 1. A model that needs two acquisitions before and two after the event (VV + VH)
# Trained at 30 m, the products' pixel size: `respond` refuses a model trained at
# another resolution unless told otherwise.

# %%
side_px = 192 if SMALL else 512
cube_path = write_cube(  # 30 m pixels, as the OPERA products (respond checks it)
    sarslide.simulate_cube(height_px=side_px, width_px=side_px, resolution_m=30.0).cube,
    OUT / "simulated.zarr",
    overwrite=True,
)
settings = [
    f"data.cube={cube_path}",
    f"output_dir={OUT / 'model'}",
    "data.timesteps_k=2",
    "data.chip_size_px=32",
    "model.name=unet-tiny",
    f"trainer.max_epochs={1 if SMALL else 10}",
    "trainer.accelerator=cpu",
]
if SMALL:
    settings.append("model.kwargs={base_filters: 4, depth: 2}")
run = sarslide.train(sarslide.TrainConfig.from_yaml("quick", settings), progress=False)
model = str(run.best_checkpoint)

# %% [markdown]
# ## 2. Respond to an event from the products on disk
# `rtc` takes files, folders or globs of OPERA or HyP3 RTC products: dates, tracks,
# bursts and orbit come from their names and tags. The AOI lies in burst
# T137-292321-IW2; the cube gets the UTM grid of the AOI's zone at 30 m. The model has
# no DEM channel, so no DEM is needed. `sarslide.respond(cfg)` is `sarslide respond`.

# %%
cfg = sarslide.RespondConfig.from_options(
    aoi="-119.838,34.774,-119.828,34.782",
    event_start="2023-10-20",
    event_name="made-up event between the real acquisitions",
    model=model,
    rtc=[str(SERIES)],
    resolution_m=30,
    figures=False,
    output_dir=str(OUT / "event"),
)
result = sarslide.respond(cfg, progress=False, overwrite=True, on_step=print)
print(result.steps)

# %% [markdown]
# ## 3. The cube and the map

# %%
cube = open_cube(result.cube, task="mapping")
summary = summarize_cube(cube)
print(f"{summary.sizes}, {summary.crs}, {summary.resolution_m} m, orbits {summary.orbit_counts}")
print(f"acquisitions {summary.time_start} .. {summary.time_end}")
probability = rioxarray.open_rasterio(result.map.probability_tif, masked=True).squeeze("band")
print(f"map: {probability.rio.crs}, {probability.rio.resolution()} m pixels")

fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
for ax, t in zip(axes[:2], (0, -1), strict=True):
    vv = cube["vv"].isel(timestep=t)
    vv.plot.imshow(ax=ax, robust=True, cmap="gray", add_colorbar=False)
    ax.set_title(f"VV {str(vv.timestep.values)[:10]}")
probability.plot.imshow(ax=axes[2], vmin=0, vmax=1, cmap="magma")
axes[2].set_title("probability (simulated-data model)")
for ax in axes:
    ax.set_aspect("equal")
    ax.ticklabel_format(style="plain", useOffset=False)
fig.savefig(OUT / "real_products.png", dpi=80)
print("report:", result.report_md)
