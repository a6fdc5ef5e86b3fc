"""Commands people wait for start fast: each command imports only what it uses.

Every command runs in a fresh interpreter (as a clerk types it) and reports the modules it loaded.
``--help`` loads none of the library; ``goals show``, ``check``, ``status`` and ``collect`` load neither
pandas nor xlsxwriter nor python-docx — those belong to the commands that write workbooks and reports.
The summaries that ``--help`` lists without loading the commands must equal the commands' own help.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from ledger_helpers import JUNE, filled_return, make_workspace, small_department

from perfsheet.cli import main
from perfsheet.cli.commands import ALL

# What a command that writes no workbook must not import (each costs 50–400 ms at start).
HEAVY = ("pandas", "numpy", "xlsxwriter", "docx", "openpyxl", "jinja2", "perfsheet.consolidate", "perfsheet.report")

DRIVER = """
import json, sys
from perfsheet.cli import run
try:
    run(sys.argv[2:])
finally:
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
"""


def loaded_by(tmp_path: Path, *argv: str) -> set[str]:
    report = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", DRIVER, str(report), *argv], capture_output=True, check=False, timeout=120)
    return set(json.loads(report.read_text(encoding="utf-8")))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup")
    department = small_department()
    make_workspace(root / "ws", department)
    returns = root / "returns"
    returns.mkdir()
    (returns / "P1.xlsx").write_bytes(filled_return(department, "P1"))
    (returns / "P2-bad.xlsx").write_bytes(filled_return(department, "P2", spend__to_date="很多"))
    return root


def test_help_loads_no_library(tmp_path: Path) -> None:
    modules = loaded_by(tmp_path, "--help")
    library = sorted(m for m in modules if m.startswith("perfsheet.") and not m.startswith("perfsheet.cli"))
    assert library == ["perfsheet._version", "perfsheet.errors"]
    assert not {"rich", "yaml", "python_calamine", "sqlite3"} & modules
    assert heavy_in(modules) == []


@pytest.mark.parametrize(
    "argv",
    [
        ("goals", "show", "--workspace", "{ws}"),
        ("check", "--workspace", "{ws}", "{returns}/P1.xlsx", "{returns}/P2-bad.xlsx"),
        ("status", "--period", str(JUNE), "--workspace", "{ws}"),
        ("collect", "--period", str(JUNE), "--workspace", "{ws}", "--from", "{returns}"),
        ("status", "--period", str(JUNE), "--workspace", "{ws}"),  # again, now with rows in the ledger
    ],
    ids=["goals-show", "check", "status-empty", "collect", "status"],
)
def test_commands_that_write_no_workbook_load_no_writer(workspace: Path, tmp_path: Path, argv: tuple[str, ...]) -> None:
    args = [a.format(ws=workspace / "ws", returns=workspace / "returns") for a in argv]
    assert heavy_in(loaded_by(tmp_path, *args)) == []


def test_check_with_feedback_loads_the_writer_but_not_pandas(workspace: Path, tmp_path: Path) -> None:
    modules = loaded_by(
        tmp_path, "check", "--workspace", str(workspace / "ws"), "--feedback", str(tmp_path / "fb"),
        str(workspace / "returns" / "P2-bad.xlsx"),
    )
    assert list((tmp_path / "fb").glob("*.xlsx")), "the feedback workbook was written"
    assert "xlsxwriter" in modules and "pandas" not in modules


def test_help_summaries_are_the_commands_own() -> None:
    for name, lazy in ALL.items():
        command = main.get_command(click.Context(main), name)
        assert command is not None
        # click folds the whitespace of a summary, so compare as it shows it.
        first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
        assert " ".join(lazy.summary.split()) == first_paragraph, (
            f"perfsheet.cli.commands.ALL[{name!r}].summary differs from the command's help; copy it:\n{first_paragraph}"
        )
    assert sorted(main.commands) == sorted(ALL)


def test_help_lists_what_the_loaded_commands_say(tmp_path: Path) -> None:
    lazy = subprocess.run(
        [sys.executable, "-m", "perfsheet", "--help"], capture_output=True, text=True, check=True, encoding="utf-8"
    ).stdout
    eager = subprocess.run(
        [sys.executable, "-c", "from perfsheet.cli import main, run; main.commands; run(['--help'])"],
        capture_output=True, text=True, check=True, encoding="utf-8",
    ).stdout
    assert lazy == eager


def test_goals_show_and_check_open_no_ledger_and_start_no_workers(workspace: Path, tmp_path: Path) -> None:
    # sqlite3 (the ledger), email (mail names) and subprocess (the ingest pool) load where they are used.
    for argv in (("goals", "show", "--workspace", str(workspace / "ws")),
                 ("check", "--workspace", str(workspace / "ws"), str(workspace / "returns" / "P1.xlsx"))):
        modules = loaded_by(tmp_path, *argv)
        assert not {"sqlite3", "subprocess", "perfsheet.ledger.store", "perfsheet.mail.names"} & modules, argv
