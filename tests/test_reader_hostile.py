"""Hostile and unusable files: each is rejected with its stable code, fast, and without a traceback.

The committed corpus (``tests/data/hostile``, made by ``scripts/make_hostile_corpus.py``) lists its
expected codes in ``expected.json``; bombs too big to commit are built here in ``tmp_path``.
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from pathlib import Path

import pytest
from reader_helpers import sample_xlsx

from perfsheet.ingest.reader import Limits, Rejected, WorkbookCells, open_workbook

HOSTILE = Path(__file__).parent / "data" / "hostile"
EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _assert_rejected(result: WorkbookCells | Rejected, code: str) -> Rejected:
    assert isinstance(result, Rejected), f"expected {code}, got {result!r}"
    assert result.code == code, result
    assert _has_chinese(result.message) and "Traceback" not in result.message
    # No internal type name (CalamineError, XmlError, BadZipFile …) reaches a chief.
    assert not re.search(r"[A-Z][a-z]+(?:Error|Exception|File)\b", result.message), result.message
    return result


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in HOSTILE.iterdir() if p.name != "expected.json"}
    assert on_disk == set(EXPECTED)
    assert set(EXPECTED.values()) >= {
        "not-a-workbook",
        "encrypted",
        "truncated",
        "zip-bomb",
        "xml-entities",
        "sheet-too-large",
    }
    assert all(p.stat().st_size < 200 * 1024 for p in HOSTILE.iterdir())


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED.items()))
def test_hostile_file_rejected_fast(name: str, code: str) -> None:
    path = HOSTILE / name
    open_workbook(path)  # warm imports and caches; the timing below is the steady state
    started = time.perf_counter()
    result = open_workbook(path)
    elapsed = time.perf_counter() - started
    rejected = _assert_rejected(result, code)
    assert rejected.sha256 is not None and len(rejected.sha256) == 64
    assert elapsed < 0.1, f"{name} took {elapsed * 1000:.1f} ms"
    # the same bytes given directly (an e-mail attachment) get the same answer
    assert _assert_rejected(open_workbook(path.read_bytes(), name=name), code) == rejected


def test_too_many_members(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample_xlsx())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for i in range(10_001):
            dst.writestr(f"xl/media/m{i}.bin", b"")
    path = tmp_path / "many.xlsx"
    path.write_bytes(out.getvalue())
    started = time.perf_counter()
    _assert_rejected(open_workbook(path), "zip-bomb")
    assert time.perf_counter() - started < 0.5  # reading a 10,001-entry central directory


def test_total_uncompressed_size_bounded() -> None:
    """Many members each under the ratio floor, together over the total bound (limits lowered)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(sample_xlsx())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for i in range(30):
            dst.writestr(f"xl/media/zeros{i}.bin", bytes(1024 * 1024), zipfile.ZIP_DEFLATED)
    data = out.getvalue()
    assert isinstance(open_workbook(data), WorkbookCells)  # 30 MB in total is fine by default
    _assert_rejected(open_workbook(data, limits=Limits(max_uncompressed=20 * 1024 * 1024)), "zip-bomb")


def test_real_ratio_bomb_at_default_limits(tmp_path: Path) -> None:
    """300 MB of zeros (the classic bomb) compresses to ~300 KB; rejected from the directory alone."""
    path = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(io.BytesIO(sample_xlsx())) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        with dst.open("xl/worksheets/sheet9.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    started = time.perf_counter()
    _assert_rejected(open_workbook(path), "zip-bomb")
    assert time.perf_counter() - started < 0.1


def test_file_over_size_limit(tmp_path: Path) -> None:
    data = sample_xlsx()
    path = tmp_path / "big.xlsx"
    path.write_bytes(data)
    over = _assert_rejected(open_workbook(path, max_bytes=1024), "file-too-large")
    assert over.sha256 is None  # not read at all
    big = tmp_path / "21mb.xlsx"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    _assert_rejected(open_workbook(big), "file-too-large")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    _assert_rejected(open_workbook(tmp_path / "没有.xlsx"), "unreadable")
    _assert_rejected(open_workbook(tmp_path), "unreadable")
