"""Shared fixtures: the embedded default registry and paths to the shared inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perfsheet.model import Department

# Real SMTP (aiosmtpd) and IMAP (Dovecot) servers as fixtures: smtp_server, smtp_auth_server,
# imap_server, imap_plain_server (tests/servers.py).
pytest_plugins = ["servers"]

REPO = Path(__file__).resolve().parent.parent
# ../shared sits beside the checkout on developer machines and in CI.
SHARED = Path(os.environ.get("PERFSHEET_SHARED", REPO.parent / "shared"))
SEED_TEXT = SHARED / "seeds" / "000_95543d55ae7ca3fd.txt"
MAIL_FIXTURES = SHARED / "fixtures" / "mail"


@pytest.fixture(scope="session")
def default_department() -> Department:
    from perfsheet.goals.registry import load_default

    return load_default()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_TEXT.read_text(encoding="utf-8")
