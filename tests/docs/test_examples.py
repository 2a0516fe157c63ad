"""Every command example in README.md and docs/*.md runs as pasted.

Default suite (fast): each ``bash`` block has no comment after a line continuation (the
line would end there and the next option become a command of its own), and every
``sarslide`` command in it parses against the real CLI (command names, options, option
values); each ``python`` block compiles. Slow: the ``python`` blocks that need only a
cube run, in a folder holding a small simulated ``cube.zarr``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from sarslide.cli.main import app

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
# Prefixes that run a sarslide command (timing wrappers, the venv's copy).
WRAPPERS = ("/usr/bin/time -v ", ".venv/bin/", "time ")


def code_blocks(language: str) -> list[tuple[str, str]]:
    """``(id, code)`` of every fenced block in ``language`` across the documents."""
    blocks = []
    for doc in DOCS:
        text = doc.read_text()
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                line = text[: match.start()].count("\n") + 1
                blocks.append((f"{doc.name}:{line}", match.group(2)))
    return blocks


def shell_commands(code: str) -> list[list[str]]:
    """The commands of a bash block: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", code)
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
    return commands


def sarslide_args(words: list[str]) -> list[str] | None:
    line = " ".join(words)
    for wrapper in WRAPPERS:
        line = line.removeprefix(wrapper)
    args = shlex.split(line)
    if args and args[-1] == "&":  # run in the background
        args = args[:-1]
    return args[1:] if args and args[0] == "sarslide" else None


BASH = code_blocks("bash")


@pytest.mark.parametrize(("where", "code"), BASH, ids=[w for w, _ in BASH])
def test_no_comment_follows_a_line_continuation(where: str, code: str) -> None:
    for number, line in enumerate(code.splitlines(), 1):
        assert not re.search(r"\\\s+\S", line), f"{where}+{number}: text after '\\': {line!r}"
        assert not re.search(r"\\[ \t]+$", line), f"{where}+{number}: space after '\\'"


@pytest.mark.parametrize(("where", "code"), BASH, ids=[w for w, _ in BASH])
def test_sarslide_commands_parse_against_the_cli(where: str, code: str) -> None:
    command = typer.main.get_command(app)
    for words in shell_commands(code):
        args = sarslide_args(words)
        if args is None:
            assert not words[0].startswith("-"), f"{where}: an option alone: {words}"
            continue
        ctx = command.make_context("sarslide", list(args))
        while hasattr(ctx.command, "resolve_command"):  # descend groups, parse the leaf
            remaining = [*getattr(ctx, "_protected_args", []), *ctx.args]
            assert remaining, f"{where}: no command in {words}"
            name, sub, rest = ctx.command.resolve_command(ctx, remaining)
            assert sub is not None and name is not None, f"{where}: unknown command in {words}"
            ctx = sub.make_context(name, rest, parent=ctx)


PYTHON = code_blocks("python")


@pytest.mark.parametrize(("where", "code"), PYTHON, ids=[w for w, _ in PYTHON])
def test_python_examples_compile(where: str, code: str) -> None:
    compile(code, where, "exec")


@pytest.fixture(scope="module")
def folder_with_a_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sarslide.datacube import write_cube
    from sarslide.simulate import simulate_event_cube

    folder = tmp_path_factory.mktemp("examples")
    write_cube(simulate_event_cube(), folder / "cube.zarr")  # the quick-start cube
    return folder


# Python examples that need only a cube.zarr run in the slow suite; the others read
# inputs a reader brings (a checkpoint, a DEM, a fetched cube, the network) and are only
# compiled here.
RUNNABLE = [(where, code) for where, code in PYTHON if where.startswith("chips.md")]


@pytest.mark.slow
@pytest.mark.parametrize(("where", "code"), RUNNABLE, ids=[w for w, _ in RUNNABLE])
def test_python_examples_run(where: str, code: str, folder_with_a_cube: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=folder_with_a_cube, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{where}:\n{result.stderr[-3000:]}"
