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


def test_readme_python_example_runs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has no Python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "return.xlsx").is_file()


def test_readme_quick_start_has_exactly_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## ", 2)[1]
    commands = re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0].strip().splitlines()
    assert len(commands) == 2
    assert commands[0].startswith("pip install .") and "perfsheet demo" in commands[0]
    assert "pytest" in commands[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # CI runs the README's test command (with lint in between).
    assert "sh scripts/install-system-deps.sh && pip install -q \".[test]\"" in ci and "pytest -n auto" in ci


def test_public_api_names_resolve() -> None:
    import perfsheet

    for name in perfsheet.__all__:
        assert getattr(perfsheet, name) is not None, name
