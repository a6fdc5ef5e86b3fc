"""Docs that cannot drift: every command has Chinese help, docs/cli.md equals the --help texts, and
README names every top-level command."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import click

from perfsheet.cli import main

REPO = Path(__file__).resolve().parent.parent


def _gen():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_has_chinese_help() -> None:
    def walk(cmd: click.Command, name: str) -> None:
        assert cmd.help and re.search(r"[\u4e00-\u9fff]", cmd.help), f"{name} has no Chinese help"
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden and param.name not in {"help", "version"}:
                assert param.help and re.search(r"[\u4e00-\u9fff]", param.help), f"{name} {param.opts} has no Chinese help"
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                walk(sub, f"{name} {sub_name}")

    walk(main, "perfsheet")


def test_cli_reference_is_up_to_date() -> None:
    expected = _gen().render()
    actual = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run  python scripts/gen_cli_docs.py"


def test_readme_names_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"perfsheet {name}" in readme, f"README does not mention `perfsheet {name}`"
