#!/usr/bin/env python3
"""Write docs/cli.md from the CLI's own --help texts, so the reference cannot drift from the code.

Run after changing a command:  python scripts/gen_cli_docs.py
tests/test_docs.py fails when docs/cli.md is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from perfsheet.cli import main

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


def render() -> str:
    parts = [
        "# perfsheet 命令参考",
        "",
        "本文件由 `python scripts/gen_cli_docs.py` 根据各命令的 `--help` 自动生成，请勿手工编辑。",
        "",
    ]
    contexts: dict[tuple[str, ...], click.Context] = {}
    for path, command in _walk(main, ["perfsheet"]):
        # make_context applies each command's context_settings (-h/--help) and a parent passes them on,
        # exactly as when a person types `perfsheet … --help`.
        parent = contexts.get(tuple(path[:-1]))
        ctx = command.make_context(
            path[-1], [], parent=parent, resilient_parsing=True, terminal_width=100, max_content_width=100
        )
        ctx.info_name = " ".join(path) if parent is None else path[-1]
        contexts[tuple(path)] = ctx
        parts += [f"## `{' '.join(path)}`", "", "```text", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(parts)


def all_commands() -> list[str]:
    return [" ".join(path) for path, _ in _walk(main, ["perfsheet"])]


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
