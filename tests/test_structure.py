"""The house rules of the source tree that a reviewer would otherwise count by hand.

STYLE: small modules with one job each (no module over 400 lines), and a command line
generated from the configs (issue 20: ``sarslide/cli`` at most 1,500 lines; its flags
come from the config fields, so a new option is a config field, not CLI code).
"""

from __future__ import annotations

from pathlib import Path

import sarslide

PACKAGE = Path(sarslide.__file__).parent
MAX_MODULE_LINES = 400
MAX_CLI_LINES = 1500


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := _lines(path)) > MAX_MODULE_LINES
    }
    assert not long, f"split by job (STYLE.md): {long}"


def test_the_command_line_stays_small() -> None:
    total = sum(_lines(path) for path in (PACKAGE / "cli").glob("*.py"))
    assert total <= MAX_CLI_LINES, (
        f"sarslide/cli is {total} lines (at most {MAX_CLI_LINES}): declare new options as "
        "config fields (docs/configs.md) and keep library logic out of the CLI"
    )
