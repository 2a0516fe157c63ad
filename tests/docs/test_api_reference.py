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


def test_docstrings_parse_as_make_docs_parses_them() -> None:
    """Every docstring parses without a warning (``make docs`` fails on one: --strict)."""
    import logging

    import pytest

    griffe = pytest.importorskip("griffe")
    warnings: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(record.getMessage())

    handler, griffe_logger = Collect(level=logging.WARNING), logging.getLogger("griffe")
    griffe_logger.addHandler(handler)
    try:
        package = griffe.load(
            "sarslide", search_paths=[str(ROOT / "src")], docstring_parser="google"
        )
        pending = [package]
        while pending:
            obj = pending.pop()
            if obj.docstring:
                obj.docstring.parsed  # noqa: B018  (parsing logs the warnings)
            pending.extend(m for m in obj.members.values() if not m.is_alias)
    finally:
        griffe_logger.removeHandler(handler)
    assert not warnings, "fix these docstrings (Google style, one parameter a line):\n" + "\n".join(
        warnings
    )
