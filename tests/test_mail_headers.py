"""Every message perfsheet writes reads right in someone else's decoder: Python's email package with
its modern policy, and Perl's Encode. Names come out as the roster has them; no ``=?`` survives one
decode; attachment names (RFC 2231 and the RFC 2047 fallback) are the files' names."""

from __future__ import annotations

import email
import email.policy
import shutil
from pathlib import Path

import pytest
from perl_decode import perl_decode
from servers import SmtpServer, smtp_server  # noqa: F401

from perfsheet.demo import DEMO_PERIOD, run_demo
from perfsheet.outgoing.delivery import SmtpSettings, deliver
from perfsheet.outgoing.mails import prepare_send
from perfsheet.workspace import Workspace


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return run_demo(tmp_path_factory.mktemp("headers") / "out", DEMO_PERIOD).workspace


def _expected(ws: Workspace) -> tuple[str, dict[str, str]]:
    office = ws.config.office
    sender = f"{ws.config.department}{office.name} <{office.email}>"
    chiefs = {s.email: f"{s.chief} <{s.email}>" for s in ws.department.sections if s.email}
    return sender, chiefs


def _python_view(path_or_bytes: Path | bytes) -> dict[str, object]:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    message = email.message_from_bytes(data, policy=email.policy.default)
    files = [p for p in message.iter_attachments()]
    return {
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "filenames": [p.get_filename() for p in files],
    }


def test_every_outbox_message_decodes_to_the_roster_names(demo_ws: Workspace) -> None:
    paths = sorted(demo_ws.mail_dir(DEMO_PERIOD).glob("*.eml"))
    assert len(paths) >= 7  # templates to 5 sections, feedback, reminders
    sender, chiefs = _expected(demo_ws)
    for path, by_perl in zip(paths, perl_decode(paths), strict=True):
        python = _python_view(path)
        for view in (python, by_perl):
            assert view["from"] == sender, (path.name, view["from"])
            recipients = str(view["to"]).split(", ")
            assert recipients[0] in chiefs.values(), (path.name, view["to"])
            assert "=?" not in str(view["subject"]) and str(view["subject"]).startswith("【")
        assert by_perl["subject"] == python["subject"]
        # Attachment names: RFC 2231 filename* and the RFC 2047 name= fallback agree with Python.
        assert by_perl["filenames"] == python["filenames"] == by_perl["names"]
        assert all(name and "=?" not in name and name.endswith(".xlsx") for name in python["filenames"])


def test_smtp_delivered_messages_decode_in_both(tmp_path: Path, demo_ws: Workspace, smtp_server: SmtpServer) -> None:  # noqa: F811
    # A copy of the demo workspace with the placeholders replaced, as an office would before sending.
    ws_root = tmp_path / "ws"
    shutil.copytree(demo_ws.root, ws_root)
    config = ws_root / "perfsheet.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("lunan-sfj.example", "lunan-sfj.cn").replace("0315-0000000", "0315-2345678"),
        encoding="utf-8",
    )
    ws = Workspace.open(ws_root)
    mails = prepare_send(ws, DEMO_PERIOD)
    result = deliver(ws, DEMO_PERIOD, mails, smtp=SmtpSettings("127.0.0.1", smtp_server.port, "none"))
    assert len(result.sent) == len(mails) == len(smtp_server.received)
    sender, chiefs = _expected(ws)
    paths = []
    for n, received in enumerate(smtp_server.received):
        path = tmp_path / f"received-{n}.eml"
        path.write_bytes(received.content)
        paths.append(path)
    for path, by_perl in zip(paths, perl_decode(paths), strict=True):
        python = _python_view(path)
        assert python["from"] == by_perl["from"] == sender
        assert python["to"] == by_perl["to"] and by_perl["to"] in chiefs.values()
        assert python["filenames"] == by_perl["filenames"] and python["filenames"]


def test_office_mail_threads_under_the_chiefs_return(demo_ws: Workspace) -> None:
    """Every message the office writes has its own Message-ID; feedback and reminders answer the
    chief's own June return (In-Reply-To and References), read here from the demo's mailbox with
    Python's mailbox module, and a reminder to a chief who sent nothing answers nothing."""
    import mailbox

    (mbox_path,) = (demo_ws.root.parent / "mailbox").glob("*.mbox")
    returns: dict[str, str] = {}
    for message in mailbox.mbox(str(mbox_path)):
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        if f"{DEMO_PERIOD.month}月" in str(parsed["Subject"]):
            returns[parsed["From"].addresses[0].addr_spec] = str(parsed["Message-ID"])
    ids = []
    for path in sorted(demo_ws.mail_dir(DEMO_PERIOD).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        message_id = str(message["Message-ID"])
        assert message_id.startswith("<") and message_id.endswith(f"@{demo_ws.config.office.email.split('@')[1]}>")
        ids.append(message_id)
        chief = message["To"].addresses[0].addr_spec
        if path.name.startswith(("反馈-", "催报-")) and chief in returns:
            assert str(message["In-Reply-To"]) == returns[chief], path.name
            assert returns[chief] in str(message["References"]).split(), path.name
        else:
            assert message["In-Reply-To"] is None and message["References"] is None, path.name
    assert len(set(ids)) == len(ids)
    assert any(name.startswith("反馈-") for name in (p.name for p in demo_ws.mail_dir(DEMO_PERIOD).glob("*.eml")))
