"""`fundwatch remind --mail`: the reminder sent by SMTP to a real server on 127.0.0.1
(aiosmtpd, started by each test), read back part by part."""

from __future__ import annotations

import email
import shutil
import socket
import subprocess
import threading
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from fundwatch.domain.errors import FundwatchError
from fundwatch.publishing import mail

AS_OF = "2025-11-03"  # 12 Nov (SSRI-02, SSRI-04) is due within 14 days
EMPTY_WEEK = "2025-12-20"  # nothing due, nothing opening within 14 days
PASSWORD = "s3cret-Pa55"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it so
        msg = email.message_from_bytes(envelope.original_content, policy=default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtpd():
    """A real SMTP server on 127.0.0.1; logins (if any) must give PASSWORD."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # a failure: aiosmtpd answers 535

    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=check,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


def settings(fw_env, port: int, **more: str | int) -> None:
    values = {"mail_from": "Cluster office <office@example.org>", "smtp_host": "localhost",
              "smtp_port": port, "smtp_security": "none"} | more  # fmt: skip
    lines = [f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {v}"
             for k, v in values.items()]  # fmt: skip
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_mail_has_both_parts_and_proper_headers(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port)
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org, them@example.org")
    assert (r.code, r.out, r.err) == (0, "", "")
    assert len(smtpd.messages) == 1
    rcpt, msg = smtpd.messages[0]
    assert rcpt == ["you@example.org", "them@example.org"]
    text = fw("remind", "--as-of", AS_OF, "--format", "text").out
    html = fw("remind", "--as-of", AS_OF, "--format", "html").out
    assert msg["Subject"] == text.splitlines()[0] == "Funding deadlines: 2 deadlines within 14d"
    assert msg["From"] == "Cluster office <office@example.org>"
    assert msg["To"] == "you@example.org, them@example.org"
    assert email.utils.parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.org>")
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    plain, rich = (p.get_content() for p in msg.iter_parts())
    assert plain.replace("\r\n", "\n") == text
    assert rich.replace("\r\n", "\n") == html
    assert 'data-call="ssri-02-uptake-services"' in rich  # the timeline, in table cells
    assert "<svg" not in rich and "<img" not in rich


def test_nothing_sent_in_an_empty_week_and_exit_code(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port)
    r = fw("remind", "--as-of", EMPTY_WEEK, "--mail", "you@example.org", "--exit-code")
    assert (r.code, r.out, r.err) == (3, "", "")
    assert smtpd.messages == []
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org", "--exit-code")
    assert (r.code, r.err) == (0, "")
    assert len(smtpd.messages) == 1


def test_a_title_cannot_inject_headers(fw, fw_env, watchlist, smtpd):
    settings(fw_env, smtpd.port)
    watchlist.write_text(
        'version = 1\n[[calls]]\nid = "evil"\n'
        'title = "Grant\\r\\nBcc: victim@example.net\\r\\nSubject: pwned"\n'
        "deadline = 2025-11-05T17:00:00\n",
        encoding="utf-8",
    )
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 0, r.err
    rcpt, msg = smtpd.messages[0]
    assert rcpt == ["you@example.org"]
    assert msg["Bcc"] is None
    assert msg.get_all("Subject") == ["Funding deadlines: 1 deadline within 14d"]
    plain = next(msg.iter_parts()).get_content()
    assert "Grant Bcc: victim@example.net Subject: pwned" in plain  # in the body, one line


def test_bad_recipient_is_refused_before_anything_is_sent(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port)
    for bad in ("you@example.org\r\nBcc: x@example.net", "not-an-address", "a@b,,"):
        r = fw("remind", "--as-of", AS_OF, "--mail", bad)
        assert r.code == 1 and r.err.startswith("error: --mail:"), r.err
        assert len(r.err.splitlines()) == 1
    assert smtpd.messages == []


def test_login_with_the_password_from_the_environment(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port, smtp_user="cluster")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org",
           env={"FUNDWATCH_SMTP_PASSWORD": PASSWORD})  # fmt: skip
    assert (r.code, r.err) == (0, "")
    assert len(smtpd.messages) == 1


def test_login_with_the_password_from_netrc(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port, smtp_user="cluster")
    home = Path(fw_env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / ".netrc").write_text(f"machine localhost login cluster password {PASSWORD}\n")
    (home / ".netrc").chmod(0o600)
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert (r.code, r.err) == (0, "")
    assert len(smtpd.messages) == 1


def test_refused_login_is_one_line_and_never_shows_the_password(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port, smtp_user="cluster")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org",
           env={"FUNDWATCH_SMTP_PASSWORD": "wrong-Pa55word"})  # fmt: skip
    assert r.code == 1
    assert r.err.startswith(f"error: SMTP server localhost:{smtpd.port} refused the login")
    assert len(r.err.splitlines()) == 1 and "wrong-Pa55word" not in r.err + r.out
    assert smtpd.messages == []
    # a login without any password is refused before connecting
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and "no password for the SMTP login cluster" in r.err


def test_settings_that_are_missing_or_unsafe(fw, fw_env, sample):
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text('smtp_host = "localhost"\n')
    r = fw("remind", "--as-of", EMPTY_WEEK, "--mail", "you@example.org")  # checked in an empty week
    assert r.code == 1 and "no sender address" in r.err
    settings(fw_env, 25, smtp_host="smtp.example.org")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and "allowed for localhost only" in r.err
    settings(fw_env, 25, smtp_security="plain")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and "smtp_security" in r.err and len(r.err.splitlines()) == 1


class Dropping:
    """A server that greets, then drops the connection at the first command (or, with
    ``silent``, accepts and never says a word)."""

    def __init__(self, silent: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.silent = silent
        self.held: list[socket.socket] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(conn)
                continue
            conn.sendall(b"220 flaky.example ESMTP\r\n")
            conn.recv(1024)
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_server_that_drops_the_connection(fw, fw_env, sample):
    server = Dropping()
    try:
        settings(fw_env, server.port)
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    finally:
        server.close()
    assert r.code == 1
    where = f"SMTP server localhost:{server.port}"
    assert r.err == f"error: {where} dropped the connection; nothing sent\n"


def test_unknown_host_and_refused_connection(fw, fw_env, sample):
    settings(fw_env, free_port(), smtp_security="starttls", smtp_host="no-such-host.invalid")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and r.err.startswith("error: unknown SMTP host 'no-such-host.invalid'")
    port = free_port()
    settings(fw_env, port)
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and f"localhost:{port} refused the connection" in r.err


def test_the_whole_send_has_a_time_limit():
    server = Dropping(silent=True)
    msg = mail.message("s", "text", "<p>html</p>", ("", "a@example.org"), ["b@example.org"])
    try:
        with pytest.raises(FundwatchError) as caught:
            mail.send(msg, mail.Server("127.0.0.1", server.port, "none", None, None), 5, 0.5)
    finally:
        server.close()
    assert "did not finish within 0.5 s; nothing sent" in str(caught.value)


def test_starttls_encrypts_and_checks_the_certificate(fw, fw_env, sample, tmp_path):
    """starttls (the default) against a server whose certificate we made: trusted
    through SSL_CERT_FILE it sends; not trusted, it stops with one line."""
    import ssl

    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed: cannot make a certificate for the test server")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
        require_starttls=True,
    )  # fmt: skip
    controller.start()
    try:
        settings(fw_env, controller.port, smtp_security="starttls")
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org",
               env={"SSL_CERT_FILE": str(cert)})  # fmt: skip
        assert (r.code, r.err) == (0, "")
        assert len(inbox.messages) == 1
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
        assert r.code == 1 and r.err.startswith("error: TLS with SMTP server localhost:")
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
