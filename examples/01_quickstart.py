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
# # Quick start: simulate a landslide event, train a model, map the scene
#
# The whole chain of Boehm et al. (2022) on a **simulated** event cube (the schema of the
# paper's public cubes, made up values): simulate -> train a small U-Net on spatially
# disjoint chips -> predict the whole scene -> look at the map with xarray, rioxarray
# and geopandas.
#
# Open it as a notebook with `jupytext --to notebook examples/01_quickstart.py`, or run
# it as a script: `python examples/01_quickstart.py`. The sizes below take about two
# minutes on two CPU cores; the test suite runs it with `SARSLIDE_EXAMPLE_SIZE=small`
# (a 192 px scene, one epoch of a 4-filter U-Net: seconds, and a map of noise).

# %%
import os
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import numpy as np
import rioxarray
import xarray as xr

import sarslide
from sarslide.datacube import open_cube, write_cube

SMALL = os.environ.get("SARSLIDE_EXAMPLE_SIZE") == "small"
OUT = Path(os.environ.get("SARSLIDE_EXAMPLE_OUT", "example-output")) / "quickstart"
OUT.mkdir(parents=True, exist_ok=True)
SIZE_PX = 192 if SMALL else 1024
print(f"writing to {OUT.resolve()}")

# %% [markdown]
# ## 1. Simulate an event cube
# `vv`/`vh` backscatter time series, terrain, InSAR and landslide labels on one 10 m
# grid, with the event window in the attributes.

# %%
simulated = sarslide.simulate_cube(height_px=SIZE_PX, width_px=SIZE_PX, seed=0)
print(f"landslide pixels drawn: {simulated.landslide_fraction:.1%}")
cube_path = write_cube(simulated.cube, OUT / "cube.zarr", overwrite=True)
cube = open_cube(cube_path, task="detection")
print(cube[["vv", "vh", "dem", "landslides"]])
print("event window:", cube.attrs["event_start"], "..", cube.attrs["event_end"])

# %% [markdown]
# ## 2. Train
# The `quick` preset: a small U-Net, chips split into spatially disjoint blocks
# (train / validation / test), normalisation statistics from the training chips only.

# %%
settings = [f"data.cube={cube_path}", f"output_dir={OUT / 'run'}"]
if SMALL:
    settings += [
        "data.chip_size_px=32",
        "data.timesteps_k=2",
        "model.name=unet-tiny",
        "model.kwargs={base_filters: 4, depth: 2}",
        "trainer.max_epochs=1",
        "trainer.accelerator=cpu",
    ]
run = sarslide.train(sarslide.TrainConfig.from_yaml("quick", settings), progress=False)
print("best checkpoint:", run.best_checkpoint)

# %% [markdown]
# ## 3. Map the whole scene
# `sarslide.predict` with no output folder returns the probability as an
# `xr.DataArray` on the cube's grid (CRS included, `.probability`); with one it writes
# Cloud-Optimized GeoTIFFs, polygons and a report (their paths: `.files`).

# %%
probability_in_memory = sarslide.predict(
    sarslide.PredictConfig(checkpoint=str(run.best_checkpoint), cube=str(cube_path))
).probability
print(probability_in_memory)
prediction = sarslide.predict(
    sarslide.PredictConfig(
        checkpoint=str(run.best_checkpoint),
        cube=str(cube_path),
        output_dir=str(OUT / "map"),
        figures=False,
    ),
    overwrite=True,  # a rerun of the notebook replaces its own map
).files
print(sorted(p.name for p in prediction.directory.iterdir()))

# %% [markdown]
# ## 4. Look at it with xarray, rioxarray and geopandas

# %%
probability = rioxarray.open_rasterio(prediction.probability_tif, masked=True).squeeze("band")
same = np.array_equal(probability.values, probability_in_memory.values, equal_nan=True)
print(f"probability.tif holds the in-memory map: {same}")
polygons = gpd.read_file(prediction.polygons_gpkg)
labels = xr.where(cube["landslides"] > 0, 1.0, float("nan"))
print(f"CRS {probability.rio.crs}, {probability.shape[1]} x {probability.shape[0]} px")
print(f"{len(polygons)} landslide polygons, {polygons.area.sum() / 1e6:.3f} km2")

fig, axes = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
cube["vv"].isel(timestep=-1).plot.imshow(ax=axes[0], robust=True, cmap="gray")
labels.plot.imshow(ax=axes[0], cmap="autumn", add_colorbar=False, alpha=0.6)
axes[0].set_title("VV after the event, labels")
probability.plot.imshow(ax=axes[1], vmin=0, vmax=1, cmap="magma")
if len(polygons):
    polygons.boundary.plot(ax=axes[1], color="cyan", linewidth=0.6)
axes[1].set_title("probability, polygons")
for ax in axes:
    ax.set_aspect("equal")
    ax.ticklabel_format(style="plain", useOffset=False)  # full metric coordinates
fig.savefig(OUT / "quickstart.png", dpi=80)
print("figure:", OUT / "quickstart.png")
