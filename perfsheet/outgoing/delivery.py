"""Delivering the office's messages: as .eml drafts in ``outbox/<period>/mail/``, or over SMTP with the
ledger's sent log.

Over SMTP a message whose content was already delivered is skipped (``已发送，跳过``) unless asked to
resend; every attempt is logged, so a delivery that failed goes out on the next run. Placeholder
addresses and phone numbers that ``perfsheet init`` writes never leave by SMTP. Drafts of a kind that
are no longer wanted (the return was corrected since) are moved to ``mail/superseded/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from perfsheet.errors import PerfsheetError, UsageError
from perfsheet.fsutil import safe_dir
from perfsheet.ledger.store import SentEntry
from perfsheet.mail import compose
from perfsheet.model import Period
from perfsheet.outgoing.mails import KIND_LABEL, Kind, OutgoingMail
from perfsheet.workspace import Workspace, open_ledger

__all__ = [
    "SUPERSEDED_DIR",
    "DeliveryResult",
    "MailOutcome",
    "SmtpSettings",
    "deliver",
    "placeholder_problems",
    "to_message",
]

SUPERSEDED_DIR = "superseded"
# Reserved for documentation and testing (RFC 2606, RFC 6761): mail to them reaches nobody.
RESERVED_TLDS = (".example", ".test", ".invalid", ".localhost")
# 0315-0000000: a phone number that is only zeros after its area code is the placeholder init writes.
_PLACEHOLDER_PHONE = re.compile(r"^\s*(\d{3,4}\s*-?\s*)?0{7,8}\s*$")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: Literal["none", "starttls", "ssl"] = "starttls"
    user: str | None = None


MailOutcome = Literal["unsendable", "failed", "sent", "skipped", "draft"]


@dataclass(slots=True)
class DeliveryResult:
    mails: list[OutgoingMail] = field(default_factory=list)
    drafts: list[Path] = field(default_factory=list)  # .eml files written
    sent: list[OutgoingMail] = field(default_factory=list)  # delivered now over SMTP
    skipped: list[OutgoingMail] = field(default_factory=list)  # delivered before with the same content
    failed: list[tuple[OutgoingMail, str]] = field(default_factory=list)  # (mail, why); retried next time
    unsendable: list[OutgoingMail] = field(default_factory=list)
    retired: list[Path] = field(default_factory=list)  # stale drafts moved to mail/superseded/

    def outcomes(self) -> list[tuple[OutgoingMail, MailOutcome, str]]:
        """Each mail with what became of it and a detail: the problem, the SMTP error or the draft path.

        Mails are matched by identity: two mails may be equal in content yet fare differently.
        """
        failed = {id(mail): why for mail, why in self.failed}
        sent = {id(mail) for mail in self.sent}
        skipped = {id(mail) for mail in self.skipped}
        drafts = {path.name: path for path in self.drafts}
        rows: list[tuple[OutgoingMail, MailOutcome, str]] = []
        for mail in self.mails:
            if mail.problem:
                rows.append((mail, "unsendable", mail.problem))
            elif id(mail) in failed:
                rows.append((mail, "failed", failed[id(mail)]))
            elif id(mail) in sent:
                rows.append((mail, "sent", ""))
            elif id(mail) in skipped:
                rows.append((mail, "skipped", ""))
            else:
                draft = drafts.get(mail.draft_name)
                rows.append((mail, "draft", str(draft) if draft else ""))
        return rows


def _address(name: str, addr_spec: str) -> Address:
    try:
        return Address(display_name=name, addr_spec=addr_spec)
    except (ValueError, IndexError):
        raise UsageError(f"邮箱地址格式不正确：{addr_spec}（{name}）；请在 perfsheet.yaml 中更正") from None


def sender_address(ws: Workspace) -> Address:
    """The office as sender: 路南区司法局办公室 <its address> (the name is encoded once, by compose)."""
    office = ws.config.office
    name = f"{ws.config.department}{office.name}" if ws.config.department else office.name
    return _address(name, office.email or "perfsheet@localhost")


def _message_id(ws: Workspace, item: OutgoingMail) -> str:
    domain = (ws.config.office.email or "perfsheet@localhost").rpartition("@")[2] or "perfsheet.invalid"
    token = hashlib.sha256(f"{item.content_key}{dt.datetime.now(dt.UTC).isoformat()}".encode()).hexdigest()[:24]
    return f"<perfsheet-{item.kind}-{token}@{domain}>"


def to_message(ws: Workspace, item: OutgoingMail, *, when: dt.datetime | None = None) -> EmailMessage:
    """The message of ``item``: from the office, to the chief (the sender of the return copied), a
    Message-ID of the office's domain, and In-Reply-To/References when it answers a chief's mail."""
    message = compose.build_message(
        sender=sender_address(ws),
        to=[_address(item.to_name, item.to_email), *(_address(n, a) for n, a in item.cc)],
        subject=item.subject,
        body=item.body,
        attachments=list(item.attachments),
        date=when,
        message_id=_message_id(ws, item),
        in_reply_to=item.in_reply_to or None,
        references=(item.in_reply_to,) if item.in_reply_to else (),
    )
    return message


def _is_reserved(address: str) -> bool:
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return any(domain == tld[1:] or domain.endswith(tld) for tld in RESERVED_TLDS)


def placeholder_problems(ws: Workspace, mails: Sequence[OutgoingMail]) -> list[str]:
    """Why these messages must not go out by SMTP yet: placeholder addresses or the placeholder phone."""
    problems: list[str] = []
    office = ws.config.office
    if not office.email or _is_reserved(office.email):
        problems.append(f"发件邮箱“{office.email or '（空）'}”是占位地址")
    if _PLACEHOLDER_PHONE.match(office.phone or ""):
        problems.append(f"办公室电话“{office.phone}”是占位号码")
    reserved = sorted({a for m in mails for a in (m.to_email, *(c for _n, c in m.cc)) if a and _is_reserved(a)})
    if reserved:
        problems.append("收件邮箱是占位地址：" + "、".join(reserved))
    return problems


def _retire_stale_drafts(root: Path, folder: Path, kinds: Sequence[Kind], keep: set[str]) -> list[Path]:
    """Move drafts of these kinds that this delivery does not rewrite into ``superseded/``."""
    if not folder.is_dir():
        return []
    prefixes = tuple(f"{KIND_LABEL[k]}-" for k in kinds)
    moved: list[Path] = []
    for path in sorted(folder.glob("*.eml")):
        if path.name.startswith(prefixes) and path.name not in keep:
            # A rename through a planted link would move the draft out of the workspace.
            target_dir = safe_dir(root, folder / SUPERSEDED_DIR)
            target = target_dir / path.name
            n = 2
            while target.exists():
                target = target_dir / f"{path.stem} ({n}){path.suffix}"
                n += 1
            path.replace(target)
            moved.append(target)
    return moved


def deliver(
    ws: Workspace,
    period: Period,
    mails: Sequence[OutgoingMail],
    *,
    smtp: SmtpSettings | None = None,
    password: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
    kinds: Sequence[Kind] | None = None,
) -> DeliveryResult:
    """Write drafts to ``outbox/<period>/mail/`` (default, and with ``dry_run``) or send over SMTP.

    ``kinds``: the kinds of message this delivery stands for (default: those in ``mails``); their
    drafts that are not rewritten now are stale and move to ``mail/superseded/``. Over SMTP, messages
    delivered before with the same content are skipped unless ``resend``.
    """
    result = DeliveryResult(mails=list(mails))
    ready = [m for m in mails if not m.problem]
    result.unsendable = [m for m in mails if m.problem]
    if smtp is None or dry_run:
        folder = ws.mail_dir(period)
        keep = {m.draft_name for m in ready}
        result.retired = _retire_stale_drafts(ws.root, folder, kinds or sorted({m.kind for m in mails}), keep)
        for item in ready:
            draft = ws.inside(folder / item.draft_name)
            result.drafts.append(compose.write_eml(to_message(ws, item), draft, root=ws.root))
        return result
    problems = placeholder_problems(ws, ready)
    if problems:
        raise UsageError(
            "；".join(problems) + "。请先在 perfsheet.yaml 中填写真实的邮箱和电话再发送（草稿仍可用 --dry-run 生成）"
        )
    if smtp.user and password is None:
        raise UsageError("发送邮件需要密码：请设置环境变量 PERFSHEET_SMTP_PASSWORD 或在提示时输入")
    _send(ws, period, ready, smtp, password, resend, result)
    return result


def _send(
    ws: Workspace,
    period: Period,
    ready: Sequence[OutgoingMail],
    smtp: SmtpSettings,
    password: str | None,
    resend: bool,
    result: DeliveryResult,
) -> None:
    with open_ledger(ws) as ledger:
        todo = [m for m in ready if resend or ledger.delivered(m.content_key) is None]
        result.skipped = [m for m in ready if m not in todo]
        messages = [to_message(ws, m) for m in todo]
        try:
            outcomes = compose.send_messages(
                messages, host=smtp.host, port=smtp.port, security=smtp.security, user=smtp.user, password=password
            )
        except PerfsheetError as exc:
            # Nothing went out (no connection, or the login failed): logged, so the next run retries.
            outcomes = [compose.SendOutcome(str(m.get("Message-ID", "")), str(exc)) for m in messages]
            for item, outcome in zip(todo, outcomes, strict=True):
                ledger.log_delivery(_entry(item, outcome))
            raise
        for item, outcome in zip(todo, outcomes, strict=True):
            ledger.log_delivery(_entry(item, outcome))
            if outcome.sent:
                result.sent.append(item)
            else:
                result.failed.append((item, outcome.error))


def _entry(item: OutgoingMail, outcome: compose.SendOutcome) -> SentEntry:
    return SentEntry(
        kind=item.kind,
        period=item.period,
        section=item.section,
        recipients=(item.to_email, *(a for _n, a in item.cc)),
        subject=item.subject,
        attachments=tuple((name, hashlib.sha256(data).hexdigest()) for name, data in item.attachments),
        content_key=item.content_key,
        message_id=outcome.message_id,
        outcome="sent" if outcome.sent else "failed",
        error=outcome.error,
    )
