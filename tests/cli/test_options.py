"""Shared option helpers (``sarslide.cli.config_flags``) and one flag declared once for all."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.cli.config_flags import pick_config
from sarslide.cli.flag_types import parse_ints
from sarslide.cli.main import app
from sarslide.errors import ConfigError


def test_pick_config_takes_one_of_the_two_spellings() -> None:
    assert pick_config("a.yaml", None) == "a.yaml"
    assert pick_config(None, "b.yaml") == "b.yaml"
    assert pick_config("a.yaml", "a.yaml") == "a.yaml"
    assert pick_config(None, None) is None
    with pytest.raises(ConfigError, match=r"Two configs given: 'a\.yaml' and --config 'b\.yaml'"):
        pick_config("a.yaml", "b.yaml")


def test_parse_ints_names_the_option_it_refuses() -> None:
    assert parse_ints("0, 1,2,", "--seeds") == [0, 1, 2]
    with pytest.raises(ConfigError, match=r"--seeds takes comma-separated integers.*'0,x'"):
        parse_ints("0,x", "--seeds")


@pytest.mark.parametrize("command", ["transfer", "ablation", "train"])
def test_two_different_configs_are_one_error_line(tmp_path: Path, command: str) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    result = CliRunner().invoke(app, [command, str(first), "--config", str(second)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Two configs given" in lines[0], result.output


@pytest.mark.parametrize("command", ["ablation", "transfer"])
def test_grid_commands_share_seeds_and_workers(command: str) -> None:
    text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    assert "(seeds)." in text and "(workers)." in text
    result = CliRunner().invoke(app, [command, "--seeds", "0,x"])
    assert result.exit_code == 1
    assert "error: --seeds takes comma-separated integers, e.g. 0,1,2; got '0,x'." in result.output
