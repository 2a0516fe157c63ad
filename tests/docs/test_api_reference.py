"""The API reference (docs/api, built by ``make docs``) covers every module of sarslide.

Each package's page renders the package with its submodules (``show_submodules``), so a
new module appears by itself; a new package or top-level module needs its entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "src" / "sarslide"


def documented() -> set[str]:
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.md"))
    return set(re.findall(r"^::: (sarslide[\w.]*)$", text, re.M))


def test_every_package_and_top_level_module_but_the_cli_has_an_entry() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} - {"cli"}
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    expected = {f"sarslide.{name}" for name in packages | modules}
    assert not sorted(expected - documented()), "add them to docs/api (a page per package)"
    assert not sorted(documented() - expected), "docs/api names modules that do not exist"


def test_every_reference_page_is_in_the_site_navigation() -> None:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    listed = set(re.findall(r"'([\w/]+\.md)'", str(nav)))
    pages = {f"api/{p.name}" for p in (ROOT / "docs" / "api").glob("*.md")}
    pages |= {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages == listed
