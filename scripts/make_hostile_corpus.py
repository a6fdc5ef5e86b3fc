"""Write the hostile-file corpus ``tests/data/hostile/`` and its ``expected.json`` (file → rejection code).

Each file is small (< 200 KB) and must be rejected by :func:`perfsheet.reader.open_workbook` with the
code listed in ``expected.json``; ``tests/test_reader_hostile.py`` checks every one. Bombs that need
more room than that (10,001 members, 200 MB in total, a file over 20 MB) are built at test time.

Needs LibreOffice (``soffice``) for the password-protected .xls/.ods (saved through a Basic macro with a
``Password`` store argument, as a user would) and ``msoffcrypto-tool`` for the encrypted .xlsx (ECMA-376
agile encryption, what Excel writes). Run: ``python scripts/make_hostile_corpus.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import struct
import subprocess
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "hostile"
FIXED_DATE = (2025, 1, 1, 0, 0, 0)
BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    "<!DOCTYPE lolz [\n"
    ' <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + "]>\n"
)
XXE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)


def base_xlsx() -> bytes:
    """A small template-like workbook (the hostile variants are this file, altered)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    workbook.set_properties({"created": dt.datetime(2025, 1, 1)})
    sheet = workbook.add_worksheet("监控表")
    sheet.write_string("B2", "项目名称")
    sheet.write_string("C2", "社区矫正")
    sheet.write_number("C3", 12.5)
    meta = workbook.add_worksheet("_perfsheet")
    meta.write_string("A1", "schema")
    meta.write_number("B1", 1)
    meta.very_hidden()
    workbook.define_name("ps_spend_to_date", "=监控表!$C$3")
    workbook.close()
    return buffer.getvalue()


def rezip(source: bytes, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, replacing some members' content and adding others, with fixed timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = replace.get(info.filename, src.read(info.filename))
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_DATE), data, zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            dst.writestr(zipfile.ZipInfo(name, FIXED_DATE), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def with_doctype(xml: bytes, prolog: str) -> bytes:
    """Put a DOCTYPE prolog in front of an XML part (dropping its own XML declaration)."""
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    return prolog.encode("utf-8") + body.lstrip()


def lying_sizes(source: bytes, member: str, payload: bytes, declared: int) -> bytes:
    """Add ``member`` whose headers declare ``declared`` uncompressed bytes instead of the real size."""
    out = rezip(source, {}, {member: payload})
    real = len(payload)
    encoded = member.encode()
    patched = bytearray(out)
    # local header: signature, then the size fields at offset 22; central directory entry: offset 24
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            name_offset = start + (30 if signature == b"PK\x03\x04" else 46)
            if patched[name_offset : name_offset + len(encoded)] == encoded:
                assert struct.unpack_from("<I", patched, start + size_offset)[0] == real
                struct.pack_into("<I", patched, start + size_offset, declared)
            start += 4
    return bytes(patched)


def huge_range_xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": dt.datetime(2025, 1, 1)})
    sheet = workbook.add_worksheet("监控表")
    sheet.write_number("A1", 1)
    sheet.write_number("XFD1048576", 2)  # calamine would allocate 17 billion cells
    workbook.close()
    return buffer.getvalue()


def word_like_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("[Content_Types].xml", FIXED_DATE), "<Types/>")
        archive.writestr(zipfile.ZipInfo("word/document.xml", FIXED_DATE), "<w:document/>")
    return out.getvalue()


def corrupt_member(source: bytes, member: str) -> bytes:
    """Scramble the compressed bytes of one member; the central directory stays intact."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        info = archive.getinfo(member)
    patched = bytearray(source)
    name_len, extra_len = struct.unpack_from("<HH", patched, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 2, start + info.compress_size - 2):
        patched[i] ^= 0x5A
    return bytes(patched)


def libreoffice_save(source: Path, target: Path, filter_name: str, password: str | None) -> None:
    """Save ``source`` as ``target`` through LibreOffice, optionally with an open password."""
    profile = Path(tempfile.mkdtemp(prefix="lo-hostile-"))
    try:
        url = profile.as_uri()
        subprocess.run(
            ["soffice", f"-env:UserInstallation={url}", "--headless", "--terminate_after_init"],
            check=True,
            capture_output=True,
            timeout=180,
        )
        module = profile / "user" / "basic" / "Standard" / "Module1.xba"
        module.write_text(MACRO, encoding="utf-8")
        call = f'macro:///Standard.Module1.SaveAs("{source}","{target}","{filter_name}","{password or ""}")'
        subprocess.run(
            ["soffice", f"-env:UserInstallation={url}", "--headless", call],
            check=True,
            capture_output=True,
            timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not target.exists():
        raise SystemExit(f"LibreOffice did not write {target}")


MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub SaveAs(src As String, dst As String, filt As String, pw As String)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = &quot;Hidden&quot;
  args(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), &quot;_blank&quot;, 0, args())
  Dim n As Integer
  n = 0
  If pw &lt;&gt; &quot;&quot; Then n = 1
  Dim sargs(n) As New com.sun.star.beans.PropertyValue
  sargs(0).Name = &quot;FilterName&quot;
  sargs(0).Value = filt
  If n = 1 Then
    sargs(1).Name = &quot;Password&quot;
    sargs(1).Value = pw
  End If
  doc.storeToURL(ConvertToURL(dst), sargs())
  doc.close(True)
End Sub
</script:module>
"""


def main() -> None:
    import msoffcrypto.format.ooxml  # test-only dependency

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    base = base_xlsx()
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        workbook_xml = archive.read("xl/workbook.xml")
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
        shared_xml = archive.read("xl/sharedStrings.xml")

    files: dict[str, tuple[bytes, str]] = {
        "renamed-pdf.xlsx": (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
            "not-a-workbook",
        ),
        "renamed-csv.xlsx": ("项目,执行数\n社区矫正,12.5\n".encode(), "not-a-workbook"),
        "html-table.xls": (
            b"<html><body><table><tr><td>\xe9\xa1\xb9\xe7\x9b\xae</td></tr></table></body></html>",
            "not-a-workbook",
        ),
        "empty.xlsx": (b"", "not-a-workbook"),
        "word-document.xlsx": (word_like_zip(), "not-a-workbook"),
        "truncated-half.xlsx": (base[: len(base) // 2], "truncated"),
        "corrupt-sheet-data.xlsx": (corrupt_member(base, "xl/worksheets/sheet1.xml"), "truncated"),
        "zip-bomb-ratio.xlsx": (
            rezip(base, {}, {"xl/media/image1.bin": bytes(60 * 1024 * 1024)}),
            "zip-bomb",
        ),
        "zip-size-lie.xlsx": (
            lying_sizes(base, "xl/worksheets/sheet9.xml", b"<c/>" * 2_000_000, declared=100),
            "zip-bomb",
        ),
        "billion-laughs-workbook.xlsx": (
            rezip(base, {"xl/workbook.xml": with_doctype(workbook_xml, BILLION_LAUGHS)}),
            "xml-entities",
        ),
        "billion-laughs-sheet.xlsx": (
            rezip(base, {"xl/worksheets/sheet1.xml": with_doctype(sheet_xml, BILLION_LAUGHS)}),
            "xml-entities",
        ),
        "xxe-shared-strings.xlsx": (
            rezip(base, {"xl/sharedStrings.xml": with_doctype(shared_xml, XXE)}),
            "xml-entities",
        ),
        "doctype-utf16-workbook.xlsx": (
            rezip(
                base,
                {
                    "xl/workbook.xml": with_doctype(workbook_xml, XXE)
                    .decode("utf-8")
                    .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                    .encode("utf-16")
                },
            ),
            "xml-entities",
        ),
        "sheet-huge-range.xlsx": (huge_range_xlsx(), "sheet-too-large"),
    }
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(base)).encrypt("secret", encrypted)
    files["encrypted-ooxml.xlsx"] = (encrypted.getvalue(), "encrypted")

    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        source = Path(tmp) / "base.xlsx"
        source.write_bytes(base)
        for target_name, filter_name, password in (
            ("plain.xls", "MS Excel 97", None),
            ("plain.ods", "calc8", None),
            ("encrypted-filepass.xls", "MS Excel 97", "secret"),
            ("encrypted.ods", "calc8", "secret"),
        ):
            libreoffice_save(source, Path(tmp) / target_name, filter_name, password)
        plain_xls = (Path(tmp) / "plain.xls").read_bytes()
        plain_ods = (Path(tmp) / "plain.ods").read_bytes()
        files["encrypted-filepass.xls"] = ((Path(tmp) / "encrypted-filepass.xls").read_bytes(), "encrypted")
        files["encrypted.ods"] = ((Path(tmp) / "encrypted.ods").read_bytes(), "encrypted")
    files["truncated-half.xls"] = (plain_xls[: len(plain_xls) // 2], "truncated")
    files["truncated-header.xls"] = (plain_xls[:300], "truncated")
    files["ole-not-excel.xls"] = (_rename_stream(plain_xls, "Workbook", "Wordbook"), "not-a-workbook")
    with zipfile.ZipFile(io.BytesIO(plain_ods)) as archive:
        content_xml = archive.read("content.xml")
    files["billion-laughs-content.ods"] = (
        _rezip_ods(plain_ods, {"content.xml": with_doctype(content_xml, BILLION_LAUGHS)}),
        "xml-entities",
    )

    expected: dict[str, str] = {}
    for name, (data, code) in sorted(files.items()):
        assert len(data) < 200 * 1024, (name, len(data))
        (OUT / name).write_bytes(data)
        expected[name] = code
    (OUT / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(expected)} files to {OUT}")


def _rename_stream(ole: bytes, old: str, new: str) -> bytes:
    """Rename a compound-file directory entry in place (same length), e.g. to hide the Workbook."""
    assert len(old) == len(new)
    needle = old.encode("utf-16-le") + b"\x00\x00"
    assert ole.count(needle) >= 1
    return ole.replace(needle, new.encode("utf-16-le") + b"\x00\x00", 1)


def _rezip_ods(source: bytes, replace: dict[str, bytes]) -> bytes:
    """Like :func:`rezip`, keeping ``mimetype`` first and stored as ODF requires."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = replace.get(info.filename, src.read(info.filename))
            method = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_DATE), data, method)
    return out.getvalue()


if __name__ == "__main__":
    main()
