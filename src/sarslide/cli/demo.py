"""``sarslide demo``: the main job on the embedded (simulated) default cube."""

from __future__ import annotations

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, config_command
from sarslide.cli.console import console

DEMO = ConfigFlags("sarslide.demo.config:DemoConfig", "output_dir epochs size_px:--size seed")


@config_command(app, "demo", DEMO)
def demo_command(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option("Replace a previous demo output."),
    progress: bool = opt.PROGRESS,
) -> None:
    """Simulate the default event cube, train a small U-Net, evaluate, map the scene."""
    from sarslide.demo.run import run_demo

    cfg = request.load()
    console.rule("sarslide demo (SIMULATED data)")
    outputs = run_demo(cfg, overwrite=overwrite, progress=progress)
    console.print(*outputs.to_tables())
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in outputs.step_seconds.items())
    console.print(f"done in {sum(outputs.step_seconds.values()):.0f} s ({timing})")
