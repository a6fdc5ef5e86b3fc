"""What the IMAP reader and the SMTP sender share: which hosts are this machine, and keeping a
password out of every message they print."""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback", "scrub"]


def is_loopback(host: str) -> bool:
    """localhost or a loopback address (plain IMAP/SMTP is allowed only there)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False



def scrub(text: str, password: str | None) -> str:
    """``text`` with the password replaced by ***."""
    return text.replace(password, "***") if password else text
