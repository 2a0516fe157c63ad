"""ConfigModel: YAML and presets in, resolved YAML out, one clear line per bad key."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import Field

from sarslide.config import ConfigModel, apply_overrides, list_presets, parse_overrides
from sarslide.errors import ConfigError


class InnerConfig(ConfigModel):
    size_px: int = Field(default=8, ge=1, description="Side of a tile in pixels.")
    mode: Literal["fast", "exact"] = Field(default="fast", description="How to compute.")


class OuterConfig(ConfigModel):
    config_label: ClassVar[str] = "toy config"

    path: str = Field(description="Where the data is.")
    devices: int | list[int] = Field(default=1, description="Devices to use.")
    inner: InnerConfig = Field(default_factory=InnerConfig)


def test_yaml_file_overrides_and_keywords_apply_in_order(tmp_path: Path) -> None:
    file = tmp_path / "toy.yaml"
    file.write_text("path: a\ninner:\n  size_px: 4\n  mode: exact\n")
    cfg = OuterConfig.from_yaml(file, ["inner.size_px=16", "devices=[0, 1]"], path="b")
    assert (cfg.path, cfg.devices, cfg.inner.size_px, cfg.inner.mode) == ("b", [0, 1], 16, "exact")
    assert OuterConfig.from_yaml(None, {"path": Path("c")}).path == "c"


def test_resolved_yaml_round_trips(tmp_path: Path) -> None:
    cfg = OuterConfig(path="x", inner=InnerConfig(size_px=3))
    written = cfg.write_yaml(tmp_path / "out" / "config.yaml")
    assert OuterConfig.from_yaml(written) == cfg
    assert "size_px: 3" in written.read_text()


def test_defaults_are_read_from_the_model() -> None:
    assert OuterConfig.field_default("inner.size_px") == 8
    assert OuterConfig.field_default("inner").mode == "fast"


def test_unknown_key_is_one_line_with_the_value_and_a_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        OuterConfig.from_yaml(None, ["path=x", "inner.size=3"])
    message = str(info.value)
    assert "\n" not in message
    assert "unknown key 'inner.size' (got 3)" in message
    assert (
        "Did you mean 'inner.size_px'?" in message and "Valid keys here: mode, size_px" in message
    )


def test_bad_value_names_key_value_and_allowed_values() -> None:
    with pytest.raises(ConfigError) as info:
        OuterConfig.from_yaml(None, ["path=x", "inner.mode=slow"])
    assert str(info.value) == (
        "Invalid toy config: inner.mode: Input should be 'fast' or 'exact' (got 'slow')"
    )


def test_union_errors_merge_into_the_key_line() -> None:
    with pytest.raises(ConfigError) as info:
        OuterConfig.from_yaml(None, ["path=x", "devices=many"])
    message = str(info.value)
    assert message.count("devices") == 1 and "(got 'many')" in message


def test_missing_key_says_how_to_set_it_and_problems_are_counted() -> None:
    with pytest.raises(ConfigError, match=r"\(2 problem\(s\)\)") as info:
        OuterConfig.from_yaml(None, ["inner.size_px=0"])
    message = str(info.value)
    assert "required key 'path' is missing (Where the data is); add it, e.g. --set path=VALUE" in (
        message
    )
    assert "inner.size_px: Input should be greater than or equal to 1 (got 0)" in message


def test_file_problems_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        OuterConfig.from_yaml(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        OuterConfig.from_yaml(tmp_path / "list.yaml")
    (tmp_path / "bad.yaml").write_text("path: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        OuterConfig.from_yaml(tmp_path / "bad.yaml")
    # a binary file given as config (sarslide baseline log-ratio model.onnx) was
    # 'unexpected UnicodeDecodeError'
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07\x12\x07pytorch\x96\xff\x00")
    with pytest.raises(ConfigError, match="is not a YAML text file"):
        OuterConfig.from_yaml(tmp_path / "model.onnx")


def test_overrides_parse_yaml_values() -> None:
    assert parse_overrides(["a.b=5", "c=[1, 2]", "d=null", "e=s3://x/y.zarr"]) == [
        ("a.b", 5),
        ("c", [1, 2]),
        ("d", None),
        ("e", "s3://x/y.zarr"),
    ]
    assert apply_overrides({"a": "text"}, {"a.b": 1}) == {"a": {"b": 1}}
    with pytest.raises(ConfigError, match=r"section\.key=value"):
        parse_overrides(["no-equals-sign"])


def test_presets_are_listed_cheapest_first_per_family() -> None:
    assert list_presets("") == ["quick", "paper"]
    assert list_presets("ablation-") == ["quick", "paper"]
    assert list_presets(None) == []
