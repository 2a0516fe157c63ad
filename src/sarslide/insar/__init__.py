"""ISSLIDE: slow-moving landslide detection from InSAR (Bralet et al. 2024).

Modules follow the data's path: ``interferometry`` and ``goldstein`` (SLC pair ->
multilooked, filtered interferogram and coherence), ``features`` (network inputs),
``readers`` (GeoTIFF / ISCE / HyP3), ``isslide_layout`` (raw and ready layouts on disk),
``simulate`` (a synthetic ISSLIDE), ``patches`` and ``splits`` (dataset), ``augment``
and ``datamodule`` (training data), ``scoring`` and ``run`` (train / evaluate).
Torch is imported only by ``augment``, ``datamodule``, ``scoring`` and ``run``.
"""
