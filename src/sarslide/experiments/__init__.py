"""The paper's input ablation (inputs x timesteps x seeds) and its baselines.

``config`` (the typed configs), ``grid`` (the runs), ``runner`` (processes or
a dask cluster, resumable), ``train_run`` (one train + evaluate), ``records`` and
``results`` (the table), ``findings``, ``ablation_figure`` (Fig 4), ``log_ratio_baseline``
and ``study`` (the whole study). Importing the package imports none of them.
"""
