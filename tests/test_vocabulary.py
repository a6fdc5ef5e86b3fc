"""One name per thing: the outputs a person reads (summary workbook, internal 报送情况, mails, the
template's 填表说明) name statuses, severities and columns with the words of perfsheet.labels and of the
form the chief filled (``1-6月执行数``, ``截至6月完成值``), never 无效 / 提醒 / 累计执行数 / 截至本月.

Checked on the demo's real outputs, read back with openpyxl and python-docx."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import openpyxl

from perfsheet.demo import DEMO_PERIOD
from perfsheet.outgoing.mails import prepare_send
from perfsheet.workspace import Workspace

OFF_VOCABULARY = ("无效", "提醒", "累计执行数", "截至本月")


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def _form_headers(demo_root: Path) -> set[str]:
    """The column headings the chiefs' form prints (line breaks removed), read from a template."""
    template = sorted((demo_root / "outbox" / str(DEMO_PERIOD) / "templates").glob("*.xlsx"))[0]
    sheet = openpyxl.load_workbook(template)["监控表"]
    return {str(c.value).replace("\n", "") for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}


def test_summary_headers_are_the_forms_words(demo_root: Path) -> None:
    form = _form_headers(demo_root)
    assert "截至6月完成值" in form and "1-6月执行数（万元）" in form
    summary = openpyxl.load_workbook(_one(demo_root / "reports" / str(DEMO_PERIOD), "*汇总表.xlsx"))
    headers = {name: [str(c.value) for c in summary[name][1] if c.value] for name in ("指标完成", "部门整体", "科室汇总",
                                                                                       "项目执行")}
    assert "截至6月完成值" in headers["指标完成"] and "截至6月完成值" in headers["部门整体"]
    assert "1-6月执行数（万元，已通过）" in headers["科室汇总"]
    assert "1-6月执行数（万元）" in headers["项目执行"]
    for sheet in summary.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str) and not value.startswith("监控表!"):  # chiefs' words are theirs
                    assert not any(word in value for word in ("累计执行数", "截至本月", "提醒")), (sheet.title, value)


def test_internal_status_report_uses_the_label_words(demo_root: Path) -> None:
    folder = demo_root / "reports" / str(DEMO_PERIOD)
    markdown = _one(folder, "*报送情况（内部）.md").read_text(encoding="utf-8")
    document = docx.Document(str(_one(folder, "*报送情况（内部）.docx")))
    words = "\n".join([p.text for p in document.paragraphs]
                      + [c.text for t in document.tables for row in t.rows for c in row.cells])
    for text in (markdown, words):
        assert "有错误" in text and "已通过" in text and "提示" in text
        assert not any(word in text for word in ("无效", "提醒")), text
    assert [c.text for c in document.tables[0].rows[0].cells] == ["科室", "科长", "应报送", "已通过", "有错误", "未报送",
                                                                 "逾期"]


def test_the_report_for_the_bureau_says_有错误(demo_root: Path) -> None:
    text = _one(demo_root / "reports" / str(DEMO_PERIOD), "*情况说明.md").read_text(encoding="utf-8")
    assert "（未报送1个，有错误1个）" in text and "截至6月完成值" in text
    assert "无效" not in text and "截至本月" not in text


def test_mail_and_help_sheet_name_the_month(demo_ws: Workspace) -> None:
    mails = prepare_send(demo_ws, DEMO_PERIOD, today=dt.date(2025, 7, 1))
    assert mails and all("截至6月完成值" in m.body and "1-6月执行数" in m.body for m in mails)
    assert not any(word in m.body for m in mails for word in OFF_VOCABULARY)
    for mail in mails[:1]:
        name, data = next((n, d) for n, d in mail.attachments if n.endswith(".xlsx"))
        path = demo_ws.root / name
        path.write_bytes(data)
        help_text = "".join(str(c.value).strip() for c in openpyxl.load_workbook(path)["填表说明"]["A"] if c.value)
        assert "截至6月完成值" in help_text and "1-6月执行数" in help_text
        assert not any(word in help_text for word in OFF_VOCABULARY), help_text
