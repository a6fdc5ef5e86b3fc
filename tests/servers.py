"""Real mail servers on 127.0.0.1 for tests: aiosmtpd (SMTP) and Dovecot (IMAP).

``tests/conftest.py`` registers this module as a plugin (``pytest_plugins = ["servers"]``), so the
fixtures are available to every test; helpers such as :class:`DovecotServer` are imported normally.

- ``smtp_server`` yields ``SmtpServer(host, port, received)``; ``received`` is a list of
  ``ReceivedMessage(mail_from, rcpt_tos, content)`` with the exact bytes the server got.
- ``smtp_auth_server`` is the same with AUTH (user ``office`` / password ``SMTP_PASSWORD``); aiosmtpd
  allows AUTH without TLS here because the server only listens on loopback.
- ``imap_server`` yields a :class:`DovecotServer`: a Dovecot started with a throw-away config in a
  temporary directory. It listens on 127.0.0.1 with a plain port (STARTTLS offered) and an implicit-TLS
  port, both with a self-signed certificate made by ``openssl req``; ``ssl_context`` trusts it.
  ``deliver(bytes, folder=...)`` drops a message into the Maildir the server serves.

Everything the servers write (config, keys, logs, runtime sockets, mail) stays in a temporary
directory that is removed at teardown. Dovecot refuses to serve mail as root, so when the tests run
as root the mail files belong to ``nobody`` and Dovecot's own processes run as its Debian users
(``dovecot``, ``dovenull``); the temporary directory is then world-traversable (mode 0755) because
pytest's own temp root is private to root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
SMTP_USER = "office"
SMTP_PASSWORD = "smtp-秘密-pass"


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: every probe stays bound until all are chosen (two probes in a row
    may otherwise be handed the same port, and Dovecot refuses a duplicate listener)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def wait_for_port(host: str, port: int, timeout: float = 15.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s")


# ----------------------------------------------------------------------------------------------------
# SMTP


class ReceivedMessage(NamedTuple):
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class SmtpServer(NamedTuple):
    host: str
    port: int
    received: list[ReceivedMessage]


class _CollectingHandler:
    def __init__(self, received: list[ReceivedMessage]) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode("utf-8")
        self.received.append(ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), data))
        return "250 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode("utf-8")
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 reply


@contextlib.contextmanager
def running_smtp(*, with_auth: bool = False) -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    received: list[ReceivedMessage] = []
    port = free_port()
    options: dict[str, Any] = {}
    if with_auth:
        options = {"authenticator": _authenticator, "auth_require_tls": False, "auth_required": True}
    controller = Controller(_CollectingHandler(received), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, received)
    finally:
        controller.stop()
    assert_decodes_alike(received)


def assert_decodes_alike(received: list[ReceivedMessage]) -> None:
    """Every message this server received reads the same in Python's email package and in Perl's
    Encode, and no encoded word survives one decode: checked for every test that sends mail."""
    import email
    import email.policy

    from perl_decode import perl_decode

    if not received:
        return
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n, message in enumerate(received):
            paths.append(Path(folder) / f"{n}.eml")
            paths[-1].write_bytes(message.content)
        for path, by_perl in zip(paths, perl_decode(paths), strict=True):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            names = [part.get_filename() for part in parsed.iter_attachments()]
            for key in ("from", "to", "cc", "subject"):
                python = parsed[key]
                assert (None if python is None else str(python)) == by_perl[key], (key, python, by_perl[key])
                assert "=?" not in str(by_perl[key] or ""), (key, by_perl[key])
            assert names == by_perl["filenames"], (names, by_perl["filenames"])
            assert not any("=?" in str(name) for name in names)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    with running_smtp(with_auth=True) as server:
        yield server


# ----------------------------------------------------------------------------------------------------
# IMAP (Dovecot)


@dataclass
class DovecotServer:
    host: str
    port: int  # plain IMAP (STARTTLS offered)
    tls_port: int  # IMAPS (implicit TLS)
    user: str
    password: str
    maildir: Path
    cert_path: Path
    log_path: Path
    mail_uid: int
    mail_gid: int
    _counter: int = field(default=0)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_path))

    def url(self, folder: str = "INBOX", *, secure: bool = False) -> str:
        if secure:
            return f"imaps://{self.user}@{self.host}:{self.tls_port}/{folder}"
        return f"imap://{self.user}@{self.host}:{self.port}/{folder}"

    def folder_path(self, folder: str = "INBOX") -> Path:
        return self.maildir if folder.upper() == "INBOX" else self.maildir / f".{folder}"

    def deliver(self, message: bytes, folder: str = "INBOX", *, seen: bool = False) -> Path:
        """Write a message into the Maildir as a delivery agent would (tmp/ then rename to new/)."""
        base = self.folder_path(folder)
        for sub in ("tmp", "new", "cur"):
            (base / sub).mkdir(parents=True, exist_ok=True)
            os.chown(base / sub, self.mail_uid, self.mail_gid)
        if base != self.maildir:
            (base / "maildirfolder").touch()
            os.chown(base, self.mail_uid, self.mail_gid)
        self._counter += 1
        unique = f"{int(time.time())}.P{os.getpid()}Q{self._counter}.perfsheet-test"
        temp = base / "tmp" / unique
        temp.write_bytes(message)
        os.chown(temp, self.mail_uid, self.mail_gid)
        target = base / "cur" / f"{unique}:2,S" if seen else base / "new" / unique
        os.replace(temp, target)
        return target

    def flags(self, folder: str = "INBOX") -> list[str]:
        """Maildir flags of every message (new/ counts as no flags), sorted by file name."""
        base = self.folder_path(folder)
        result: list[tuple[str, str]] = []
        for sub in ("new", "cur"):
            for entry in (base / sub).iterdir() if (base / sub).is_dir() else []:
                unique, _, info = entry.name.partition(":2,")
                result.append((unique, info if sub == "cur" else ""))
        return [flags for _name, flags in sorted(result)]


def dovecot_version() -> tuple[int, int]:
    out = subprocess.run([str(DOVECOT), "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[0].split(".")[:2]
    return int(major), int(minor)


def _make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True,
    )
    return cert, key


_IMAPS_23 = """  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
"""
_IMAPS_24 = """  inet_listener imaps {{
    listen = 127.0.0.1
    port = {port}
    ssl = yes
  }}
"""


def _config_23(root: Path, server: DovecotServer, key: Path, internal: str, login: str, tls: bool) -> str:
    ssl_lines = f"ssl = yes\nssl_cert = <{server.cert_path}\nssl_key = <{key}" if tls else "ssl = no"
    imaps = _IMAPS_23.format(port=server.tls_port) if tls else ""
    return f"""# throw-away config for tests (Dovecot 2.3)
base_dir = {root}/run
state_dir = {root}/state
log_path = {server.log_path}
info_log_path = {server.log_path}
instance_name = perfsheet-test-{root.name}
protocols = imap
listen = 127.0.0.1
{ssl_lines}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = {server.mail_uid}
first_valid_gid = {server.mail_gid}
mail_location = maildir:{server.maildir}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={server.mail_uid} gid={server.mail_gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {server.port}
  }}
{imaps}}}
service anvil {{
  chroot =
}}
"""


def _config_24(root: Path, server: DovecotServer, key: Path, internal: str, login: str, tls: bool) -> str:
    ssl_lines = (
        f"ssl = yes\nssl_server_cert_file = {server.cert_path}\nssl_server_key_file = {key}" if tls else "ssl = no"
    )
    imaps = _IMAPS_24.format(port=server.tls_port) if tls else ""
    return f"""# throw-away config for tests (Dovecot 2.4)
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = {root}/run
state_dir = {root}/state
log_path = {server.log_path}
info_log_path = {server.log_path}
instance_name = perfsheet-test-{root.name}
protocols = imap
listen = 127.0.0.1
{ssl_lines}
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = {server.mail_uid}
first_valid_gid = {server.mail_gid}
mail_driver = maildir
mail_path = {server.maildir}
mail_home = {root}/home/%{{user}}
mail_uid = {server.mail_uid}
mail_gid = {server.mail_gid}
passdb passwd-file {{
  passwd_file_path = {root}/passwd
  default_password_scheme = PLAIN
}}
userdb static {{
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    listen = 127.0.0.1
    port = {server.port}
  }}
{imaps}}}
service anvil {{
  chroot =
}}
"""


@contextlib.contextmanager
def running_dovecot(*, tls: bool = True) -> Iterator[DovecotServer]:
    """Start Dovecot; ``tls=False`` serves plain IMAP only (no STARTTLS), for the loopback-plaintext path."""
    if not DOVECOT.exists():
        pytest.fail("Dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="perfsheet-dovecot-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            mail_uid, mail_gid = nobody.pw_uid, nobody.pw_gid
            internal, login = "dovecot", "dovenull"
            root.chmod(0o755)
        else:
            mail_uid, mail_gid = os.getuid(), os.getgid()
            internal = login = pwd.getpwuid(os.getuid()).pw_name
        cert, key = _make_certificate(root)
        plain_port, tls_port = free_ports(2)
        server = DovecotServer(
            host="127.0.0.1", port=plain_port, tls_port=tls_port if tls else 0, user="chief",
            password="imap-" + secrets.token_hex(8), maildir=root / "Maildir",
            cert_path=cert, log_path=root / "dovecot.log", mail_uid=mail_uid, mail_gid=mail_gid,
        )
        for directory in (server.maildir, server.maildir / "new", server.maildir / "cur",
                          server.maildir / "tmp", root / "home", root / "home" / server.user):
            directory.mkdir(parents=True, exist_ok=True)
            os.chown(directory, mail_uid, mail_gid)
        passwd = root / "passwd"
        passwd.write_text(f"{server.user}:{{PLAIN}}{server.password}:::::\n", encoding="utf-8")
        passwd.chmod(0o644)
        version = dovecot_version()
        writer = _config_24 if version >= (2, 4) else _config_23
        config = root / "dovecot.conf"
        config.write_text(writer(root, server, key, internal, login, tls), encoding="utf-8")
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(server.host, server.port, process=process)
            if tls:
                wait_for_port(server.host, server.tls_port, process=process)
        except RuntimeError as exc:
            output = process.stdout.read().decode("utf-8", "replace") if process.poll() is not None and process.stdout else ""
            log = server.log_path.read_text("utf-8", "replace") if server.log_path.exists() else ""
            pytest.fail(f"Dovecot {version} did not start: {exc}\n{output}\n{log}")
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            if process.stdout:
                process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_server() -> Iterator[DovecotServer]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def imap_plain_server() -> Iterator[DovecotServer]:
    """Dovecot without TLS at all (``ssl = no``): plaintext IMAP, acceptable on loopback only."""
    with running_dovecot(tls=False) as server:
        yield server
