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
# # ISSLIDE: slow-moving landslides in interferograms
#
# The ISSLIDE chain of Bralet et al. (2024) on **simulated** interferograms (moving
# areas that show as phase bubbles and fringes, decorrelation, layover, atmosphere):
# simulate a raw dataset -> cut 100 px patches around the annotated moves (our layout
# and the authors' folder layout) -> train a small U-Net with Queyras held out ->
# score it on Queyras. The five baselines are `sarslide insar demo` (docs/isslide.md).
#
# `SARSLIDE_EXAMPLE_SIZE=small` (the test suite): three 64 px zones, 32 px patches, two
# epochs of a 4-filter U-Net; the default takes a few minutes on two CPU cores.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rasterio

import sarslide
from sarslide.insar.authors_layout import import_authors_layout, list_authors_patches
from sarslide.insar.isslide_layout import read_ready_index
from sarslide.insar.patches import extract_patches
from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw

SMALL = os.environ.get("SARSLIDE_EXAMPLE_SIZE") == "small"
OUT = Path(os.environ.get("SARSLIDE_EXAMPLE_OUT", "example-output")) / "isslide"
PATCH_PX = 32 if SMALL else 64

# %% [markdown]
# ## 1. A simulated raw dataset: interferograms of 6 and 12 days per zone

# %%
simulation = SimulationConfig(
    zones=("vanoise", "ecrins", "queyras")
    if SMALL
    else ("vanoise", "ecrins", "queyras", "maurienne"),
    size_px=64 if SMALL else 160,
    n_dates=4 if SMALL else 7,
    delays_days=(6, 12),
    moves_per_zone=3 if SMALL else 8,
    seed=0,
)
if not (OUT / "raw").exists():
    simulate_isslide_raw(OUT / "raw", simulation)
print(sorted(str(p.relative_to(OUT)) for p in (OUT / "raw" / "queyras").glob("*/*")))

# %% [markdown]
# ## 2. Patches around the moves
# In sarslide's layout (two-band images, masks, `patches.csv`, what `insar train`
# reads) and in the authors' (`<delay>/<Zone>/<interferogram>/{phase,coherence}/`, what
# their loader reads); `import_authors_layout` reads theirs back.

# %%
if not (OUT / "ready").exists():
    extract_patches(OUT / "raw", OUT / "ready", size_px=PATCH_PX)
    extract_patches(OUT / "raw", OUT / "authors", size_px=PATCH_PX, layout="isslide")
index = read_ready_index(OUT / "ready")
print(index.groupby(["zone", "delay_days"])["has_move"].agg(["size", "sum"]))
first = list_authors_patches(OUT / "authors")[0]
print("authors' layout:", first.phase_path.relative_to(OUT), first.mask_path.relative_to(OUT))
if not (OUT / "imported").exists():
    imported = import_authors_layout(OUT / "authors", OUT / "imported")
    same = set(imported.name) == set(index.name)
    print(f"imported back: {len(imported)} patches, same names: {same}")

# %% [markdown]
# ## 3. Train on every zone but Queyras, score on Queyras
# Validation: a seeded 25 % of the training zones' interferograms (an interferogram is
# never split). The threshold is chosen on validation, never on the test zone.

# %%
cfg = sarslide.IsslideRunConfig(
    ready_dir=str(OUT / "ready"),
    output_dir=str(OUT / "runs"),
    models=["isslide-unet"],
    test_zones=["queyras"],
    val_fraction=0.25,
    max_epochs=2 if SMALL else 20,
    model_kwargs={"isslide-unet": {"base_filters": 4, "depth": 1}} if SMALL else {},
    accelerator="cpu",
)
outputs = sarslide.insar_run(cfg)  # insar train, then insar evaluate
print(pd.read_csv(outputs["table_csv"]).T)

# %%
row = index[(index.zone == "queyras") & index.has_move].iloc[0]
with rasterio.open(row.image_path) as src:
    phase, coherence = src.read(1), src.read(2)
with rasterio.open(row.mask_path) as src:
    mask = src.read(1)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.5), constrained_layout=True)
for ax, image, title, cmap in (
    (axes[0], phase, "phase (rad)", "twilight"),
    (axes[1], coherence, "coherence", "gray"),
    (axes[2], mask, "annotated move", "viridis"),
):
    shown = ax.imshow(image, cmap=cmap)
    ax.set_title(title)
    fig.colorbar(shown, ax=ax, shrink=0.8)
fig.suptitle(row["name"])
fig.savefig(OUT / "patch.png", dpi=80)
print("comparison table:", outputs["table_md"], "figure:", outputs.get("figure_png"))
print("phase range", float(np.nanmin(phase)), float(np.nanmax(phase)))
