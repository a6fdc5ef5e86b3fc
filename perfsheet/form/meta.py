"""The template file's identity (DESIGN.md §4): sheet names, schema version, field-map keys, digest.

A template carries, in its hidden ``_perfsheet`` sheet and as workbook-level defined names, what
ingest needs to read it back: the schema, the project and period, the digest of its locked content,
and where each input field is. The template builder writes these keys and ingest reads them; both
take them from here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

__all__ = [
    "META_NAME_KEYS",
    "SCHEMA_VERSION",
    "SHEET_HELP",
    "SHEET_MAIN",
    "SHEET_META",
    "defined_name",
    "locked_digest",
    "meta_name",
]

SHEET_MAIN = "监控表"
SHEET_HELP = "填表说明"
SHEET_META = "_perfsheet"
# 2: the 预算执行偏差原因及改进措施 row (budget.explanation) below 目标完成情况 moved the indicator table.
# 3: the money block is the platform's tree, 年度资金总额 / 其中：财政资金 / 其他资金 (three rows).
SCHEMA_VERSION = 3

# The identifying keys of `_perfsheet` repeated as workbook-level constant names: ingest reads them
# from workbook.xml without loading the hidden sheet (about a third of the read time of a return);
# the sheet stays the contract and the fallback (LibreOffice's .xls drops names).
META_NAME_KEYS: tuple[str, ...] = ("schema", "project_code", "period", "digest")


def meta_name(key: str) -> str:
    """The defined name repeating a ``_perfsheet`` key: ``digest`` → ``ps_meta_digest``."""
    return f"ps_meta_{key}"


def defined_name(field_name: str) -> str:
    """The workbook-scope defined name of an input cell: ``ind.3.actual`` → ``ps_ind_3_actual``."""
    return "ps_" + field_name.replace(".", "_")


def locked_digest(locked: Mapping[str, str]) -> str:
    """sha256 (hex) of the locked content, as stored under the ``digest`` key.

    Canonical form: for each ``A1 → text`` pair sorted by A1 (Python string order), the line
    ``A1 + TAB + text``; lines joined with ``LF``; encoded as UTF-8.
    """
    lines = "\n".join(f"{a1}\t{text}" for a1, text in sorted(locked.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()
