"""Byte-stable .docx output shared by the goals-document writer and the narrative.

python-docx stamps the core properties and every zip member with the current time; both are pinned
here so the same input gives the same bytes (DESIGN §5, deterministic outputs).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

from perfsheet.ziputil import pin_zip_times

if TYPE_CHECKING:
    from docx.document import Document

__all__ = ["new_document", "stable_docx_bytes"]

def new_document(created: dt.datetime) -> Document:
    """A fresh python-docx ``Document`` whose core properties carry ``created`` and no user name."""
    import docx  # imported lazily: python-docx is slow to import and most commands never need it

    document = docx.Document()
    props = document.core_properties
    props.created = props.modified = props.last_printed = created
    props.author = props.last_modified_by = "perfsheet"
    props.revision = 1
    return document


def stable_docx_bytes(document: Document) -> bytes:
    """Save ``document`` and rewrite the zip with fixed member timestamps."""
    buffer = io.BytesIO()
    document.save(buffer)
    return pin_zip_times(buffer.getvalue())
