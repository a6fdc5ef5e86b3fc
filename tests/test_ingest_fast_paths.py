"""The fast paths of ingest's integrity checks agree with the plain rules they shortcut.

``has_forbidden_character`` skips most character references inside the regular-expression engine;
every reference it skips must name a character XML 1.0 allows, and every one it looks at is judged
by the rule itself. Checked here for every decimal code point around each boundary and in hex,
with leading zeros, and amid the CJK references openpyxl writes.
"""

from __future__ import annotations

import random

import pytest

from perfsheet.ingest.xmlparts import has_forbidden_character, has_non_xml_char, is_xml_char


def allowed(code: int) -> bool:
    """XML 1.0 § 2.2 Char, written out independently of the code under test."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


BOUNDARIES = [0, 9, 10, 13, 32, 99, 100, 999, 1000, 9999, 10000, 55295, 55296, 57343, 57344, 65533, 65534, 65535,
              65536, 99999, 100000, 999999, 1000000, 1114111, 1114112, 9999999]
CODES = sorted({c + d for c in BOUNDARIES for d in range(-40, 41) if c + d >= 0})


@pytest.mark.parametrize("form", ["&#{};", "&#0{};", "&#000{};", "&#x{:X};", "&#x{:x};", "&#X{:04X};", "&#x00{:X};"])
def test_every_reference_is_judged_by_the_rule(form: str) -> None:
    wrong = []
    for code in CODES:
        ref = form.format(code).encode()
        xml = b"<a t=\"&#24180;&#65288;\">" + ref + b"&#20013;</a>"
        if has_forbidden_character(xml) != (not allowed(code)):
            wrong.append(ref)
    assert not wrong, wrong[:10]


def test_random_references_amid_cjk() -> None:
    rng = random.Random(16)
    for _ in range(20_000):
        code = rng.randint(0, 1_200_000)
        ref = rng.choice([f"&#{code};", f"&#x{code:x};"]).encode()
        cjk = b"".join(f"&#{rng.randint(0x4E00, 0x9FFF)};".encode() for _ in range(rng.randint(0, 5)))
        xml = b"<c><is><t>" + cjk + ref + cjk + b"</t></is></c>"
        assert has_forbidden_character(xml) == (not allowed(code)), ref


def test_not_a_reference_is_not_judged() -> None:
    assert not has_forbidden_character(b"<a>&#; &#x; &#12 &#2418</a>")  # no complete reference
    assert has_forbidden_character(b"<a>&#12 &#1;</a>")


def test_a_worksheet_is_judged_whole_though_checked_in_pieces() -> None:
    validations = b"".join(b'<dataValidation prompt="&#%d;&#%d;"/>' % (0x4E00 + i, 0x5E74) for i in range(2000))
    cells = b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&#24180;</t></is></c></row>'
    clean = b"<worksheet>" + cells + b"</sheetData><dataValidations>" + validations + b"</dataValidations></worksheet>"
    assert not has_forbidden_character(clean)
    assert not has_forbidden_character(clean)  # remembered as clean: the same answer
    for bad in (b"&#1;", b"\x01", b"\xef\xbf\xbe", b"&#xD800;"):
        in_cells = clean.replace(b"<t>&#24180;</t>", b"<t>" + bad + b"</t>")
        in_tail = clean.replace(b"</dataValidations>", bad + b"</dataValidations>")
        assert has_forbidden_character(in_cells), bad
        assert has_forbidden_character(in_tail), bad
    # At the cut itself: what ends the cells piece and what starts the rest are judged together.
    assert not has_forbidden_character(b"<a>&#" + b"</sheetData>" + b"x" * 5000)
    assert has_forbidden_character(b"<a>&#1;</sheetData>" + b"x" * 5000)


def test_the_character_class_is_the_rule_for_every_code_point() -> None:
    wrong = [code for code in range(0x110000) if has_non_xml_char(chr(code)) != (not allowed(code))]
    assert not wrong, [hex(code) for code in wrong[:10]]
    assert all(is_xml_char(code) == allowed(code) for code in range(0x110000))
    assert has_non_xml_char("王敏\x01") and not has_non_xml_char("王敏\t95%")
