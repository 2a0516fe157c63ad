"""Flags generated from config fields (``sarslide.cli.config_flags``)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import typer
from pydantic import Field
from typer.testing import CliRunner

from sarslide.cli.config_flags import (
    ConfigCommand,
    ConfigFlags,
    ConfigRequest,
    argument,
    config_command,
    flag,
)
from sarslide.cli.flag_types import parse_ints
from sarslide.cli.main import app
from sarslide.config import ConfigModel


class Trainer(ConfigModel):
    max_epochs: int = Field(default=10, description="Epochs.")


class Toy(ConfigModel):
    config_label = "toy config"
    checkpoint: str | None = Field(default=None, description="A checkpoint.")
    output_dir: str = Field(default="out", description="Output folder.")
    tile_size_px: int = Field(default=512, description="Tile size (px).")
    figures: bool = Field(default=True, description="Draw figures.")
    whole_region: bool = Field(default=True, description="The whole region.")
    seeds: list[int] = Field(default_factory=lambda: [0], description="Seeds.")
    rtc: list[str] | None = Field(default=None, description="RTC products.")
    insar: str | list[str] = Field(default="none", description="InSAR source.")
    orbit: Literal["ascending", "descending"] = Field(default="ascending", description="Orbit.")
    start: datetime | None = Field(default=None, description="Start.")
    height_px: int = Field(default=1, description="Rows.")
    width_px: int = Field(default=1, description="Columns.")
    trainer: Trainer = Field(default_factory=Trainer, description="Training.")


TOY = ConfigFlags(
    Toy,
    argument("checkpoint"),
    flag("output_dir", "--output", "-o", old=["--out"]),
    flag("tile_size_px", "--tile-size"),
    flag("figures", "--no-figures", sets=False),
    "whole_region",
    flag("seeds", parse=parse_ints),
    "rtc",
    "insar",
    "orbit",
    "start",
    flag("height_px", "--size", also=("width_px",), help="Square: height_px and width_px."),
    flag("trainer.max_epochs", "--epochs"),
)
toy_app = typer.Typer()
seen: list[ConfigRequest] = []


@config_command(toy_app, "toy", TOY)
def toy(request: ConfigRequest, loud: bool = typer.Option(False, "--loud")) -> None:
    seen.append(request)
    request.load()


@toy_app.command("other")
def other() -> None:
    """A second command, so that toy_app is a group."""


def run_toy(*args: str) -> tuple[Any, Toy | None]:
    seen.clear()
    result = CliRunner().invoke(toy_app, ["toy", *args])
    cfg = seen[0].load() if seen and result.exit_code == 0 else None
    return result, cfg


def test_flags_set_their_keys_and_nothing_given_keeps_the_defaults() -> None:
    result, cfg = run_toy()
    assert result.exit_code == 0, result.output
    assert cfg == Toy()
    result, cfg = run_toy(
        "a.ckpt", "-o", "x", "--tile-size", "64", "--no-figures", "--no-whole-region",
        "--seeds", "1,2", "--rtc", "a", "--rtc", "b", "--insar", "hyp3", "--orbit",
        "descending", "--start", "2018-09-06", "--size", "7", "--epochs", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert cfg is not None
    assert (cfg.checkpoint, cfg.output_dir, cfg.tile_size_px) == ("a.ckpt", "x", 64)
    assert (cfg.figures, cfg.whole_region, cfg.seeds) == (False, False, [1, 2])
    assert (cfg.rtc, cfg.insar, cfg.orbit) == (["a", "b"], "hyp3", "descending")
    assert cfg.start == datetime(2018, 9, 6)
    assert (cfg.height_px, cfg.width_px, cfg.trainer.max_epochs) == (7, 7, 3)
    _, cfg = run_toy("--insar", "a", "--insar", "b")
    assert cfg is not None and cfg.insar == ["a", "b"]


def test_precedence_defaults_file_flags_set(tmp_path: Path) -> None:
    config = tmp_path / "toy.yaml"
    config.write_text("tile_size_px: 128\noutput_dir: from-file\ntrainer:\n  max_epochs: 5\n")
    _, cfg = run_toy("--config", str(config))
    assert cfg is not None and (cfg.tile_size_px, cfg.output_dir, cfg.trainer.max_epochs) == (
        128, "from-file", 5,
    )  # fmt: skip
    _, cfg = run_toy("--config", str(config), "--tile-size", "256", "--epochs", "6")
    assert cfg is not None and (cfg.tile_size_px, cfg.output_dir, cfg.trainer.max_epochs) == (
        256, "from-file", 6,
    )  # fmt: skip
    args = ["--config", str(config), "--tile-size", "256", "--set", "tile_size_px=32"]
    _, cfg = run_toy(*args, "--set", "trainer.max_epochs=7", "--epochs", "6")
    assert cfg is not None and (cfg.tile_size_px, cfg.trainer.max_epochs) == (32, 7)


def test_old_spelling_is_hidden_and_works_and_a_conflict_is_one_line() -> None:
    _, cfg = run_toy("--out", "old")
    assert cfg is not None and cfg.output_dir == "old"
    _, cfg = run_toy("--out", "same", "-o", "same")
    assert cfg is not None and cfg.output_dir == "same"
    command = typer.main.get_command(toy_app).commands["toy"]  # type: ignore[attr-defined]
    old = [p for p in command.params if "--out" in p.opts]
    assert len(old) == 1 and old[0].hidden
    result = CliRunner().invoke(app, ["cube", "simulate", "-o", "x.zarr", "--orbit", "up"])
    assert result.exit_code == 1
    assert "orbit: Input should be 'ascending', 'descending' or 'both' (got 'up')" in " ".join(
        result.output.split()
    )


def test_bad_values_name_the_flag() -> None:
    result, _ = run_toy("--seeds", "1,x")
    assert "--seeds takes comma-separated integers" in str(result.exception)
    result, _ = run_toy("--start", "yesterday")
    assert "Invalid --start 'yesterday': not an ISO 8601 date" in str(result.exception)
    result, _ = run_toy("--out", "a", "-o", "b")
    assert "Both --output 'b' and --out 'a' given" in str(result.exception)


def _config_commands() -> dict[str, Any]:
    found = {}
    groups = [("", typer.main.get_command(app))]
    while groups:
        prefix, group = groups.pop()
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                groups.append((f"{prefix}{name} ", command))
            elif isinstance(command, ConfigCommand):
                found[f"{prefix}{name}"] = command
    return found


def test_every_flag_is_a_config_key_and_its_help_is_the_description() -> None:
    commands = _config_commands()
    assert "cube simulate" in commands
    for name, command in commands.items():
        flags = command.flags
        for item in flags.flags:
            for key in (item.key, *item.also):
                flags.field_of(key)  # a real key of the model (KeyError otherwise)
            if item.help is not None:  # one flag, several keys: the help names them
                assert all(k in item.help for k in (item.key, *item.also)), (name, item)
                continue
            description = flags.field_of(item.key).description.rstrip(".")
            switch = "" if item.sets is None else f"sets {item.key}: {str(item.sets).lower()}"
            assert flags.help_of(item) == f"{description} ({switch or item.key}).", name
        params = {p.name for p in command.params}
        assert flags.file_options == ({"config_file", "set_overrides"} <= params), name


def test_no_commands_flags_load_torch() -> None:
    """``--help`` of any command reads its config model only: never torch (seconds)."""
    code = (
        "import sys, typer\n"
        "from sarslide.cli.main import app\n"
        "from tests.cli.test_config_flags import _config_commands\n"
        "for command in _config_commands().values(): command.params\n"
        "print(len(_config_commands()), 'torch' in sys.modules)\n"
    )
    root = Path(__file__).parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    count, torch_loaded = done.stdout.split()
    assert int(count) >= 15 and torch_loaded == "False", done.stdout


def _request(command_path: list[str], args: list[str]) -> ConfigRequest:
    """Parse ``args`` as the real command does and return its ConfigRequest (no run)."""
    group = typer.main.get_command(app)
    for name in command_path[:-1]:
        group = group.commands[name]  # type: ignore[attr-defined]
    command = group.commands[command_path[-1]]  # type: ignore[attr-defined]
    ctx = command.make_context(command_path[-1], args)
    return command.flags.request(dict(ctx.params))


def test_predict_precedence_file_then_flags_then_set(tmp_path: Path) -> None:
    config = tmp_path / "map.yaml"
    config.write_text("tile_size_px: 128\noverlap_px: 32\nmin_area_m2: 50\n")
    args = ["m.ckpt", "--cube", "c.zarr", "--out", "maps/a", "--config", str(config)]
    args += ["--tile-size", "256", "--overlap", "48", "--set", "overlap_px=16"]
    args += ["--batch-size", "auto", "--no-figures"]
    cfg = _request(["predict"], args).load()
    assert (cfg.checkpoint, cfg.cube, cfg.output_dir) == ("m.ckpt", "c.zarr", "maps/a")
    assert (cfg.tile_size_px, cfg.overlap_px, cfg.min_area_m2) == (256, 16, 50)
    assert (cfg.batch_size, cfg.figures) == ("auto", False)


def test_build_and_respond_share_the_source_flags() -> None:
    shared = ["--aoi", "1,2,3,4", "--rtc", "a.tif", "--rtc", "b.tif", "--dem", "none"]
    shared += ["--insar", "hyp3", "--event-start", "2018-09-06", "--resolution-m", "30"]
    build = _request(["cube", "build"], ["-o", "x.zarr", *shared]).flags
    respond = _request(["respond"], ["--model", "m.ckpt", *shared]).flags
    assert build.pop("output") == Path("x.zarr")
    assert build == {key: value for key, value in respond.items() if key != "model"}
    assert build["rtc"] == ["a.tif", "b.tif"] and build["insar"] == "hyp3"


def test_a_required_output_is_a_usage_error_and_a_config_may_give_it(tmp_path: Path) -> None:
    for command in (["cube", "build"], ["insar", "simulate"], ["insar", "import", "x"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, result.output  # click's usage error, as before
        assert "Missing option '--output' / '-o'." in result.output
    config = tmp_path / "sim.yaml"
    config.write_text("zones: [vanoise]\nsize_px: 32\n")
    result = CliRunner().invoke(app, ["insar", "simulate", "--config", str(config)])
    assert result.exit_code == 2 and "Missing option '--output' / '-o'." in result.output
    out = tmp_path / "raw"
    config.write_text(config.read_text() + f"output_dir: {out}\n")
    result = CliRunner().invoke(app, ["insar", "simulate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert any(out.rglob("*.tif"))  # the file's output_dir (was: a required -o only)


def test_transfer_epochs_is_a_flag_of_the_train_section(tmp_path: Path) -> None:
    config = tmp_path / "transfer.yaml"
    config.write_text(
        "events: [{name: a, cube: a.zarr}, {name: b, cube: b.zarr}]\n"
        "train: {trainer: {seed: 1, max_epochs: 7}}\n"
    )
    cfg = _request(["transfer"], [str(config), "--epochs", "3"]).load()
    assert cfg.train["trainer"] == {"seed": 1, "max_epochs": 3}  # merged into the file's
    args = [str(config), "--epochs", "3", "--set", "train.trainer.max_epochs=4"]
    assert _request(["transfer"], args).load().train["trainer"]["max_epochs"] == 4
