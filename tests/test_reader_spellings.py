"""The same record spelt another way must be judged the same way (a review found three bypasses).

XML lets an attribute be written r='D8' as well as r="D8", and a tamperer can move every defined name
together. Each case below is built from a real filled return, and must come out exactly as strict as
the usual spelling: a formula in an input cell is an error, a cell written twice is corrupt, names that
point 40 rows below the form are tampering, and a far single-quoted cell is measured before calamine
would materialise it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mutants import MAIN_PART, WORKBOOK_PART, Base, Outcome, edit_member, ingest, make_bases


@pytest.fixture(scope="module")
def base() -> Base:
    return next(b for b in make_bases() if b.name.endswith("-inline"))


def _has(outcome: Outcome, code: str) -> bool:
    return any(c.split("@")[0] == code for c in outcome.codes)


def _spend_cell(base: Base) -> str:
    return base.fields["spend.to_date"]


def _single_quoted(xml: str, a1: str) -> str:
    return xml.replace(f'<c r="{a1}"', f"<c r='{a1}'", 1)


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_formula_in_an_input_cell_is_an_error_whatever_the_quotes(base: Base, quote: str) -> None:
    a1 = _spend_cell(base)

    def edit(xml: str) -> str:
        xml = re.sub(rf'<c r="{a1}"([^>]*)>(?:<v>[^<]*</v>)?</c>', rf'<c r="{a1}"\1><f>A99</f><v>1.735</v></c>', xml)
        return _single_quoted(xml, a1) if quote == "'" else xml

    outcome = ingest(edit_member(base.data, MAIN_PART, edit), base)
    assert outcome.status == "invalid" and _has(outcome, "formula-in-input"), outcome


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_cell_written_twice_is_corrupt_whatever_the_quotes(base: Base, quote: str) -> None:
    a1 = _spend_cell(base)

    def edit(xml: str) -> str:
        match = re.search(rf'<c r="{a1}"[^>]*>.*?</c>', xml)
        assert match is not None
        twin = match.group(0).replace(">", ">", 1)
        xml = xml[: match.end()] + re.sub(r"<v>[^<]*</v>", "<v>3.1</v>", twin) + xml[match.end() :]
        return xml.replace(f'<c r="{a1}"', f"<c r={quote}{a1}{quote}") if quote == "'" else xml

    outcome = ingest(edit_member(base.data, MAIN_PART, edit), base)
    assert outcome.status != "valid" and _has(outcome, "cell-corrupt"), outcome


def test_every_name_moved_forty_rows_down_is_tampering(base: Base) -> None:
    def move(xml: str) -> str:
        return re.sub(r"(<definedName name=\"ps_(?!meta_)[^\"]+\">[^<]*?\$[A-Z]+\$)(\d+)",
                      lambda m: m.group(1) + str(int(m.group(2)) + 40), xml)

    moved = edit_member(base.data, WORKBOOK_PART, move)
    assert moved != base.data
    outcome = ingest(moved, base)
    assert outcome.status == "invalid" and _has(outcome, "template-tampered"), outcome


_PROBE = """
import json, sys
from perfsheet.ingest.reader import open_workbook
result = open_workbook(sys.argv[1])
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"code": getattr(result, "code", None), "rss_mib": peak}))
"""


def test_a_far_single_quoted_cell_is_measured_before_calamine(base: Base, tmp_path: Path) -> None:
    def far(xml: str) -> str:
        return xml.replace("</sheetData>", "<row r='1048576'><c r='XFD1048576'><v>1</v></c></row></sheetData>")

    path = tmp_path / "far.xlsx"
    path.write_bytes(edit_member(base.data, MAIN_PART, far))
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True,
                          timeout=120, check=True)
    probe = json.loads(done.stdout)
    assert probe["code"] == "sheet-too-large" and probe["rss_mib"] < 256, probe
