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
# # Transfer to an unseen event: train on three events, map the fourth
#
# Rapid mapping means mapping a place the model has never seen. Four distinct
# **simulated** events (different terrain, land cover, orbits and CRSs) stand in for
# past disasters: a model is trained on three of them (`leave_one_event_out`) and scored
# on the whole of the fourth, beside the log-ratio change-detection baseline. No pixel
# of the held-out event reaches training, validation, the threshold or the
# normalisation statistics. `sarslide transfer` runs this for every event and seed
# (docs/transfer.md); here one model, step by step.
#
# Full size takes a few minutes on two CPU cores; `SARSLIDE_EXAMPLE_SIZE=small` (the
# test suite) uses 64 px events and one epoch.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt
import pandas as pd

import sarslide
from sarslide.chips.events import read_events_file
from sarslide.simulate.event_sets import write_event_set

SMALL = os.environ.get("SARSLIDE_EXAMPLE_SIZE") == "small"
OUT = Path(os.environ.get("SARSLIDE_EXAMPLE_OUT", "example-output")) / "transfer"
HELD_OUT = "alpine"

# %% [markdown]
# ## 1. Four simulated events
# Each is a cube with its own event window; `events.yaml` lists them.

# %%
events_yaml = write_event_set(OUT / "events", size_px=64 if SMALL else 384)
events = read_events_file(events_yaml)
print(pd.DataFrame(events))

# %% [markdown]
# ## 2. Train on every event but one

# %%
data = {
    "events": events,
    "split": "leave_one_event_out",
    "held_out_event": HELD_OUT,
    "channels": "vv+vh",
    "timesteps_k": 2 if SMALL else 4,
    "chip_size_px": 16 if SMALL else 32,
    "positive_only": not SMALL,
}
if SMALL:
    data |= {"split_fractions": [0.5, 0.25, 0.25], "split_block_px": 32, "split_buffer_px": 0}
config = {
    "data": data,
    "model": {"name": "unet-tiny", "kwargs": {"base_filters": 4, "depth": 2} if SMALL else {}},
    "trainer": {"max_epochs": 1 if SMALL else 8, "batch_size": 8, "accelerator": "cpu"},
    "output_dir": str(OUT / f"no-{HELD_OUT}"),
}
run = sarslide.train(sarslide.TrainConfig.from_mapping(config), progress=False)

# %% [markdown]
# ## 3. Score it on each event, the unseen one included
# The held-out event is scored on all its pixels (`region`) and on its chips; the
# training events on their spatial test blocks. "positive rate" is the AUPRC of a
# model that knows nothing. `sarslide.evaluate` is `sarslide evaluate`: a model trained
# on several events is scored per event and pooled (`result.rows`).

# %%
result = sarslide.evaluate(
    sarslide.EvaluateConfig(checkpoint=str(run.best_checkpoint), output_dir=str(OUT / "evaluation"))
)
rows = [
    {"event": name, "role": row["role"], "where": where, **row[where]}
    for name, row in result.rows.items()
    for where in ("chips", "region")
    if row.get(where)
]
table = pd.DataFrame(rows)[
    ["event", "role", "where", "n_pixels", "baseline_auprc", "auprc", "log_ratio_auprc"]
]
print(table.to_string(index=False, float_format="{:.3f}".format))

# %%
region = table[table["where"] == "region"].set_index("event")
ax = region[["baseline_auprc", "log_ratio_auprc", "auprc"]].plot.bar(figsize=(7, 4), rot=0)
ax.set_ylabel("AUPRC")
ax.set_title(f"every pixel of each event's scored region ({HELD_OUT} never seen)")
ax.legend(["positive rate", "log ratio", "model"])
ax.figure.tight_layout()
ax.figure.savefig(OUT / "transfer.png", dpi=80)
plt.close(ax.figure)
print("figure:", OUT / "transfer.png")
