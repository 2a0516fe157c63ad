"""``sarslide predict``: a whole-scene landslide map from a trained checkpoint."""

from __future__ import annotations

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, argument, config_command, flag
from sarslide.cli.console import console

PREDICT = ConfigFlags(
    "sarslide.inference.config:PredictConfig",
    argument("checkpoint"),
    "cube event_start event_end scheduler_address:--scheduler",
    flag("output_dir", old=["--out"]),
    *opt.PREDICT_FLAGS,
)


@config_command(app, "predict", PREDICT)
def predict(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option("Replace an existing output folder."),
) -> None:
    """Map landslides over a cube: probability and binary COGs, polygons, quicklook, report.

    The resolved configuration is written to config.yaml in the output folder.
    """
    from sarslide.inference.outputs import predict_to_directory

    cfg = request.load()
    outputs = predict_to_directory(cfg, progress=True, overwrite=overwrite)
    console.print(f"[bold green]landslide map written to[/] {outputs.directory}")
    for path in outputs.listing():
        console.print(f"  {path.name}")
