"""What a clerk meets when something is off: only Chinese on the screen, nothing lost by a slip."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_helpers import make_workspace

from perfsheet.workspace import Workspace, init_workspace

# Words a Chinese screen may still show: the program, its commands and options, file names, codes.
_ALLOWED = {"perfsheet", "help", "period", "templates", "check", "collect", "xlsx", "nonexistent", "workspace", "goals",
            "yaml", "templtes", "bogus", "selfeval", "show", "shwo"}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfsheet", *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, check=False
    )


def _english_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in _ALLOWED}


@pytest.mark.parametrize(
    "args",
    [("templtes",), ("templates",), ("check", "/nonexistent.xlsx"), ("collect", "--period", "2025-06", "--bogus")],
    ids=["unknown-command", "missing-period", "missing-file", "unknown-option"],
)
def test_usage_errors_are_chinese_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _run(*args, cwd=tmp_path)
    screen = result.stdout + result.stderr
    assert result.returncode == 2, screen
    assert "Traceback" not in screen
    assert not _english_words(screen), screen
    assert re.search(r"[\u4e00-\u9fff]", screen)


def test_suggestions_and_help_headings_are_chinese(tmp_path: Path) -> None:
    assert "您是否想用 perfsheet templates？" in _run("templtes", cwd=tmp_path).stderr
    assert "缺少必需的选项 --period（例如 --period 2025-06）" in _run("templates", cwd=tmp_path).stderr
    help_text = _run("--help", cwd=tmp_path).stdout
    assert help_text.startswith("用法：perfsheet [选项] 命令 [参数]...")
    assert "选项：" in help_text and "命令：" in help_text
    assert not {"Usage", "Options", "Commands"} & set(re.findall(r"[A-Za-z]+", help_text))


@pytest.mark.parametrize(
    "command",
    [["templates"], ["status"], ["consolidate"], ["send"], ["remind"], ["collect", "--from", "x.eml"], ["run"]],
)
def test_a_period_outside_the_goals_year_is_refused(tmp_path: Path, command: list[str]) -> None:
    ws = make_workspace(tmp_path / "ws")
    result = _run(*command, "--period", "2024-06", "--workspace", str(ws.root), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "不在目标年度 2025 年内" in result.stderr.replace("\n", "")
    assert not (ws.root / "outbox" / "2024-06").exists() and not (ws.root / "reports" / "2024-06").exists()


def test_templates_without_a_workspace_refuse_another_year(tmp_path: Path) -> None:
    result = _run("templates", "--period", "2026-01", cwd=tmp_path)
    assert result.returncode == 2 and "不在目标年度 2025 年内" in result.stderr.replace("\n", "")
    assert not any(tmp_path.iterdir())


def test_demo_never_replaces_a_workspace(tmp_path: Path) -> None:
    init_workspace(tmp_path / "office" / "workbooks")
    (tmp_path / "office" / "workbooks" / "archive" / "ab").mkdir(parents=True)
    (tmp_path / "office" / "workbooks" / "archive" / "ab" / "kept.xlsx").write_bytes(b"an archived return")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "office").rglob("*") if p.is_file()}
    result = _run("demo", "--out", str(tmp_path / "office"), cwd=tmp_path)
    assert result.returncode == 2 and "演示不会覆盖" in result.stderr.replace("\n", "")
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "office").rglob("*") if p.is_file()}
    assert after == before
    # A folder an earlier demo made is recreated, as before.
    assert _run("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path).returncode == 0
    assert _run("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path).returncode == 0


def test_config_saved_by_notepad_in_gbk_is_read(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_bytes(text.replace("\n", "\r\n").encode("gbk"))
    assert Workspace.open(ws.root).config.roster.sections[0].chief == "张三"
    ws.config_path.write_bytes(b"\xff\xfe\x00garbage\x81")
    result = _run("status", "--period", "2025-06", "--workspace", str(ws.root), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "perfsheet.yaml" in result.stderr and re.search(r"[\u4e00-\u9fff]", result.stderr)


def test_listing_commands_have_json(tmp_path: Path) -> None:
    import json

    ws = make_workspace(tmp_path / "ws")
    for command in (["templates"], ["send"], ["remind"], ["status"]):
        result = _run(*command, "--period", "2025-06", "--workspace", str(ws.root), "--json", cwd=tmp_path)
        assert result.returncode in (0, 1), (command, result.stderr)
        data = json.loads(result.stdout)
        assert data, command
    sent = json.loads(_run("send", "--period", "2025-06", "--workspace", str(ws.root), "--json", cwd=tmp_path).stdout)
    assert {m["outcome"] for m in sent} == {"draft"} and all(m["attachments"] for m in sent)


# What a help text may name in English beside the commands: formats, protocols and programs by their
# own names, and the default workspace folder. Options, environment variables, configuration keys,
# file extensions and folder paths are what the clerk types, and are taken out before words are counted.
_HELP_ALLOWED = {"excel", "word", "markdown", "json", "yaml", "imap", "imaps", "smtp", "starttls", "ssl", "tls",
                 "jinja", "maildir", "mbox", "workbooks"}
_TYPED = re.compile(r"--?[\w-]+|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b\w+_\w+\b|\.\w+|[\w.-]*/")


def _display_width(line: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _section(help_text: str, heading: str) -> list[str]:
    lines = help_text.splitlines()
    if heading not in lines:
        return []
    body = lines[lines.index(heading) + 1 :]
    return body[: body.index("")] if "" in body else body


def _all_helps(tmp_path: Path) -> dict[str, str]:
    """`perfsheet … --help` of every command and subcommand, found from the 命令 lists themselves."""
    helps: dict[str, str] = {}
    todo: list[list[str]] = [[]]
    while todo:
        path = todo.pop()
        result = subprocess.run(
            [sys.executable, "-m", "perfsheet", *path, "--help"], capture_output=True, text=True, encoding="utf-8",
            cwd=tmp_path, env={**os.environ, "COLUMNS": "80"}, check=False,
        )
        assert result.returncode == 0 and not result.stderr, (path, result.stderr)
        helps[" ".join(["perfsheet", *path])] = result.stdout
        for line in _section(result.stdout, "命令："):
            if re.match(r"  \S", line):
                todo.append([*path, line.split()[0]])
    return helps


def test_every_help_is_chinese_aligned_and_fits_80_columns(tmp_path: Path) -> None:
    helps = _all_helps(tmp_path)
    assert len(helps) >= 17 and "perfsheet goals next" in helps and "perfsheet selfeval" in helps
    commands = {word for name in helps for word in name.split()}
    for name, text in helps.items():
        assert "[required]" not in text and "[default:" not in text and "env var:" not in text, name
        words = {w for w in re.findall(r"[A-Za-z]{3,}", _TYPED.sub(" ", text))}
        english = {w for w in words if w.lower() not in _ALLOWED | _HELP_ALLOWED | commands}
        assert not english, (name, english, text)
        assert all(_display_width(line) <= 80 for line in text.splitlines()), text
        for heading in ("选项：", "命令："):
            starts = set()
            for line in _section(text, heading):
                term = re.match(r"(  \S(?:\S| (?! ))*)( {2,})\S", line)
                if term:
                    starts.add(_display_width(term.group(1) + term.group(2)))
                elif line.strip():
                    starts.add(len(line) - len(line.lstrip(" ")))  # a continued description
            assert len(starts) <= 1, (name, heading, starts, text)
    demo = re.sub(r"\s+", "", helps["perfsheet demo"])  # a note may wrap onto the next line
    assert "（默认：perfsheet-demo）" in demo and "（默认：2025-06）" in demo
    assert "--year 年度" in helps["perfsheet goals next"] and "（必填）" in helps["perfsheet goals next"]
    assert "--year 年度" in helps["perfsheet selfeval"] and "--period 年-月" in helps["perfsheet run"]


@pytest.mark.parametrize("group", [[], ["goals"]], ids=["perfsheet", "goals"])
def test_a_group_without_a_command_shows_its_help_once(tmp_path: Path, group: list[str]) -> None:
    bare = _run(*group, cwd=tmp_path)
    assert bare.returncode == 2  # click's own rule since 8.2: no command is a usage error, shown as help
    help_text = _run(*group, "--help", cwd=tmp_path).stdout
    assert bare.stderr.strip() == help_text.strip()
    assert bare.stderr.count("用法：") == 1 and "错误：" not in bare.stderr


def test_subgroups_suggest_a_close_command_too(tmp_path: Path) -> None:
    result = _run("goals", "shwo", cwd=tmp_path)
    assert result.returncode == 2
    assert "没有命令“shwo”；您是否想用 perfsheet goals show？" in result.stderr
    assert not _english_words(result.stderr), result.stderr


def test_a_number_out_of_range_is_said_in_chinese(tmp_path: Path) -> None:
    result = _run("goals", "import", "x.txt", "--year", "3000", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("错误")]
    assert error == "错误：--year 的值无效：“3000”应在 2000 到 2100 之间"
