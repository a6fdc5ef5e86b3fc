"""Byte-stable zip containers: Office files (xlsx, docx) are zips whose members carry the time they
were written; pinning those times makes the same content give the same bytes (DESIGN §5)."""

from __future__ import annotations

import io
import zipfile

__all__ = ["FIXED_ZIP_TIME", "pin_zip_times"]

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def pin_zip_times(data: bytes) -> bytes:
    """``data`` (a zip) rewritten with every member stamped :data:`FIXED_ZIP_TIME`, order kept."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
