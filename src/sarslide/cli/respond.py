"""``sarslide respond``: map a new event from an AOI, a date and a trained model."""

from __future__ import annotations

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, config_command, flag
from sarslide.cli.console import console

RESPOND = ConfigFlags(
    "sarslide.response.config:RespondConfig",
    flag("output_dir", old=["--out"], help="Folder of this event (rerun resumes) (output_dir)."),
    "model event_name search_days orbit_state",
    *opt.EVENT_FLAGS,
    *opt.SOURCE_FLAGS,
    *opt.PREDICT_FLAGS,
)


@config_command(app, "respond", RESPOND)
def respond(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option(
        "Replace outputs in the folder made for another request."
    ),
) -> None:
    """Find the acquisitions around an event, build its cube, map landslides, report.

    Refuses an event too recent for the model's k acquisitions after it, and says when
    enough will exist. Rerun with the same -o to resume: finished steps are reused.
    """
    from sarslide.response import respond_to_event

    cfg = request.load()
    result = respond_to_event(
        cfg,
        overwrite=overwrite,
        progress=True,
        on_step=lambda line: console.print(line, highlight=False, markup=False),
    )
    steps = ", ".join(f"{name} {status}" for name, status in result.steps.items())
    console.print(f"[bold green]landslide map written to[/] {result.map.directory} ({steps})")
    console.print(f"  report: {result.report_md}; map report: {result.map.report_html}")
