"""The ``sarslide`` command itself: --version, and config errors as one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from sarslide import __version__
from sarslide.cli.main import app

runner = CliRunner()


def test_version_needs_no_command() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"sarslide {__version__}"


def test_train_config_error_names_key_value_and_fix(tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("data:\n  cube: cube.zarr\n")
    result = runner.invoke(app, ["train", "--config", str(config), "--set", "trainer.max_epoch=3"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "unknown key 'trainer.max_epoch' (got 3)" in text
    assert "Did you mean 'trainer.max_epochs'?" in text
    assert "Traceback" not in result.output


def test_train_shortcut_flags_map_onto_config_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "quick", "--epochs", "0"])
    assert result.exit_code == 1
    assert "trainer.max_epochs: Input should be greater than or equal to 1 (got 0)" in " ".join(
        result.output.split()
    )


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf command of the CLI by its full name ('cube simulate')."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_output_option_is_spelled_o_output() -> None:
    old_spellings = {"--out", "--dest", "--output-dir"}
    for name, command in _commands(typer.main.get_command(app)).items():
        for param in command.params:
            if param.param_type_name != "option":
                continue
            if "-o" in param.opts:
                assert set(param.opts) == {"-o", "--output"}, (name, param.opts)
            if old_spellings & set(param.opts):
                assert param.hidden, (name, param.opts)  # kept only as a hidden alias


def test_every_command_that_runs_work_takes_config_and_set() -> None:
    commands = _commands(typer.main.get_command(app))
    work = [
        "train",
        "evaluate",
        "predict",
        "ablation",
        "transfer",
        "demo",
        "respond",
        "cube simulate",
        "cube build",
        "insar interferogram",
        "insar simulate",
        "insar patches",
        "insar train",
        "insar demo",
    ]
    for name in work:
        options = {opt for p in commands[name].params for opt in p.opts}
        assert {"--config", "--set"} <= options, name


def test_the_cli_imports_no_torch_xarray_or_pandas() -> None:
    """``sarslide --help`` and every command's ``--help`` stay fast: building each
    command's flags imports its config model only (no torch, xarray or pandas)."""
    import subprocess
    import sys

    heavy = "{'torch', 'xarray', 'pandas'}"
    code = (
        "import sys, typer, sarslide.cli.main as m\n"
        "groups = [typer.main.get_command(m.app)]\n"
        "while groups:\n"
        "    for c in groups.pop().commands.values():\n"
        "        groups.append(c) if hasattr(c, 'commands') else c.params\n"
        f"print(sorted({heavy} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", done.stdout
