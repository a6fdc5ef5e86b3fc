"""No input makes ``perfsheet goals import`` show a traceback: the hostile corpus of returns (zip bombs,
entity bombs, encrypted, truncated and renamed files) and hostile goals documents of every type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import REPO

from perfsheet.cli import main

HOSTILE = REPO / "tests" / "data" / "hostile"


def _import(path: Path) -> Result:
    return CliRunner().invoke(main, ["goals", "import", str(path)])


def _one_chinese_failure(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2)
    assert re.search(r"[\u4e00-\u9fff]", result.output)


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.iterdir()))
def test_hostile_corpus(name: str) -> None:
    result = _import(HOSTILE / name)
    _one_chinese_failure(result)
    assert result.exit_code == 2  # none of them holds a goals table


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


HOSTILE_DOCUMENTS: dict[str, bytes] = {
    "binary.txt": b"\x00\x01\x02PK\x03\x04" * 100,
    "not-utf8.md": "项目名称|资金".encode("utf-16"),
    "huge-span.html": b'<table><tr><td rowspan="999999999" colspan="999999999">x</td></tr></table>',
    "deep.html": b"<table><tr><td>" * 3000,
    "unclosed.html": "<table><tr><td>一级指标<td>二级指标<td>三级指标<td>指标值<tr><td>产出指标".encode(),
    "script.html": b"<script>alert(1)</script><table><tr><td>&#0;&#xffffffff;</td></tr></table>",
    "header-only.txt": "\t一级指标\n\t二级指标\n\t三级指标\n\t指标值\n".encode(),
    "no-header.md": "| 项目名称 | X |\n| --- | --- |\n| 资金总额 | 五十 |\n".encode(),
    "fake.docx": b"PK\x03\x04" + b"\x00" * 200,
    "fake.xls": b"\xd0\xcf\x11\xe0" + b"\x00" * 600,
    "empty.xlsx": b"",
    "empty.txt": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_DOCUMENTS))
def test_hostile_goals_documents(name: str, tmp_path: Path) -> None:
    _one_chinese_failure(_import(_write(tmp_path, name, HOSTILE_DOCUMENTS[name])))


def test_a_project_with_only_placeholders_is_said_not_crashed(tmp_path: Path) -> None:
    text = "| 项目名称 | 空表 |\n| --- | --- |\n| 一级指标 | 二级指标 | 三级指标 | 指标值 |\n| 产出指标 | 数量指标 | …… | |\n"
    result = _import(_write(tmp_path, "空表.md", text.encode()))
    _one_chinese_failure(result)
    assert result.exit_code == 2 and "空表" in result.output and "没有找到绩效指标" in result.output
