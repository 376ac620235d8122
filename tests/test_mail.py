"""`fundwatch remind --mail`: the reminder sent by SMTP to a real server on 127.0.0.1
(aiosmtpd, started by each test), read back part by part."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def serving(inbox: Inbox, **options):
    """``inbox`` as a real SMTP server on 127.0.0.1 (aiosmtpd), its port in inbox.port."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    inbox.port = controller.port  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtpd():
    """A real SMTP server on 127.0.0.1; logins (if any) must give PASSWORD."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # a failure: aiosmtpd answers 535

    with serving(Inbox(), authenticator=check, auth_require_tls=False) as inbox:
        yield inbox


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
    assert msg["Subject"] == text.splitlines()[0] == "Funding deadlines: 2 due within 14d"
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
    assert msg.get_all("Subject") == ["Funding deadlines: 1 due within 14d"]
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

    def __init__(self, silent: bool = False, greeting: bytes = b"220 flaky.example ESMTP") -> None:
        self.greeting = greeting
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
            conn.sendall(self.greeting + b"\r\n")
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
    with serving(Inbox(), tls_context=context, require_starttls=True) as inbox:
        settings(fw_env, inbox.port, smtp_security="starttls")
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org",
               env={"SSL_CERT_FILE": str(cert)})  # fmt: skip
        assert (r.code, r.err) == (0, "")
        assert len(inbox.messages) == 1
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
        assert r.code == 1 and r.err.startswith("error: TLS with SMTP server localhost:")
        assert len(inbox.messages) == 1


def test_a_login_smtplib_cannot_send_is_refused_without_showing_it(fw, fw_env, sample, smtpd):
    # smtplib sends logins in ASCII only; its UnicodeEncodeError named a character of the
    # password and where it stood
    settings(fw_env, smtpd.port, smtp_user="cluster")
    r = fw("remind", "--as-of", EMPTY_WEEK, "--mail", "you@example.org",
           env={"FUNDWATCH_SMTP_PASSWORD": "pässwörd-42"})  # fmt: skip
    assert r.code == 1 and len(r.err.splitlines()) == 1, r.err
    assert "password" in r.err and "ASCII" in r.err
    for leak in ("ä", "\\xe4", "position", "42"):
        assert leak not in r.err
    settings(fw_env, smtpd.port, smtp_user="jörg")
    r = fw("remind", "--as-of", EMPTY_WEEK, "--mail", "you@example.org",
           env={"FUNDWATCH_SMTP_PASSWORD": PASSWORD})  # fmt: skip
    assert r.code == 1 and "smtp_user" in r.err and "ASCII" in r.err, r.err
    assert smtpd.messages == []


def test_a_sender_address_beyond_ascii_is_refused_as_recipients_are(fw, fw_env, sample, smtpd):
    settings(fw_env, smtpd.port, mail_from="Jörg <jörg@exämple.org>")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and "mail_from" in r.err and len(r.err.splitlines()) == 1, r.err
    assert smtpd.messages == []
    settings(fw_env, smtpd.port, mail_from="Jörg Müller <office@example.org>")  # a name may
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert (r.code, r.err) == (0, "")
    assert smtpd.messages[0][1]["From"].addresses[0].display_name == "Jörg Müller"


def test_a_server_that_does_not_speak_smtp(fw, fw_env, sample):
    # smtp_port set to an IMAP port: its greeting is no SMTP reply (smtplib: code -1)
    server = Dropping(greeting=b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.")
    try:
        settings(fw_env, server.port)
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    finally:
        server.close()
    assert r.code == 1 and "-1" not in r.err, r.err
    assert r.err.startswith(f"error: SMTP server localhost:{server.port} does not speak SMTP")
    assert "Dovecot ready." in r.err  # what it said tells what it is
    assert "check smtp_port" in r.err and len(r.err.splitlines()) == 1


def test_addresses_that_no_server_takes_are_refused_up_front(fw, fw_env, sample, smtpd):
    # RFC 5321: a local part of at most 64 characters, an address of at most 254, a
    # domain of dot-separated labels; so that no header line can pass 998 characters
    settings(fw_env, smtpd.port)
    for bad in ("x" * 65 + "@example.org", "you@" + "d" * 250 + ".org", "you@.",
                "you@-", "you@example..org", "you@-example.org", "you@example.org."):  # fmt: skip
        r = fw("remind", "--as-of", AS_OF, "--mail", bad)
        assert r.code == 1 and r.err.startswith("error: --mail:"), (bad, r.err)
        assert len(r.err) < 200  # the error quotes the start of a long one
    settings(fw_env, smtpd.port, mail_from="o" * 65 + "@example.org")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and "mail_from" in r.err
    assert smtpd.messages == []
    settings(fw_env, smtpd.port)
    r = fw("remind", "--as-of", AS_OF, "--mail", "o.k+tag@mail-1.example.org,x@localhost")
    assert (r.code, r.err) == (0, "")


class Choosy(Inbox):
    """Takes mail for every recipient but nobody@example.org."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "nobody@example.org":
            return "550 5.1.1 nobody@example.org: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_recipient_refused_among_others_is_an_error(fw, fw_env, sample):
    # smtplib raises only when every recipient is refused; for some it returns them
    with serving(Choosy()) as inbox:
        settings(fw_env, inbox.port)
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org,nobody@example.org")
    assert [rcpt for rcpt, _ in inbox.messages] == [["you@example.org"]]
    assert r.code == 1 and len(r.err.splitlines()) == 1, r.err
    assert "refused the recipients nobody@example.org (550 5.1.1 nobody@" in r.err
    assert "sent to you@example.org only" in r.err


def test_security_that_does_not_fit_the_port_gets_a_hint(fw, fw_env, sample, smtpd):
    # a plain SMTP server (as on 587) with smtp_security = ssl: TLS meets "220 ..."
    settings(fw_env, smtpd.port, smtp_security="ssl")
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert r.code == 1 and r.err.startswith("error: TLS with SMTP server localhost:"), r.err
    assert "set smtp_security = starttls" in r.err and len(r.err.splitlines()) == 1
    # a server waiting for TLS first (as on 465) says nothing to a plain hello
    server = Dropping(silent=True)
    msg = mail.message("s", "text", "<p>html</p>", ("", "a@example.org"), ["b@example.org"])
    try:
        with pytest.raises(FundwatchError) as caught:
            mail.send(msg, mail.Server("127.0.0.1", server.port, "starttls", None, None), 0.3)
    finally:
        server.close()
    assert "did not answer in time" in str(caught.value)
    assert "smtp_security = ssl" in (caught.value.hint or "")
    assert smtpd.messages == []


def test_a_sender_read_otherwise_than_written_is_refused(fw, fw_env, sample, smtpd):
    # parseaddr reads "a@b.org <office@...>" as a@b.org: the mail went out from the
    # display name; the name must be quoted to hold an @
    for bad in ("team@example.org <office@example.org>", "Office <office@example.org> x",
                "x <a@example.org> <office@example.org>"):  # fmt: skip
        settings(fw_env, smtpd.port, mail_from=bad)
        r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
        assert r.code == 1 and "mail_from" in r.err and len(r.err.splitlines()) == 1, (bad, r)
    assert smtpd.messages == []
    settings(fw_env, smtpd.port)
    config = Path(fw_env["FUNDWATCH_CONFIG"])
    quoted = "mail_from = '\"team@example.org\" <office@example.org>'"  # a TOML literal
    config.write_text(f"{quoted}\n" + config.read_text().split("\n", 1)[1])
    r = fw("remind", "--as-of", AS_OF, "--mail", "you@example.org")
    assert (r.code, r.err) == (0, "")
    sender = smtpd.messages[0][1]["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("team@example.org", "office@example.org")


def test_a_password_without_a_login_is_not_silently_dropped(fw, fw_env, sample, smtpd):
    # it was ignored: the mail went out without a login (or a server answered 530)
    settings(fw_env, smtpd.port)
    r = fw("remind", "--as-of", EMPTY_WEEK, "--mail", "you@example.org",
           env={"FUNDWATCH_SMTP_PASSWORD": PASSWORD})  # fmt: skip
    assert r.code == 1 and "smtp_user" in r.err and PASSWORD not in r.err, r.err
    assert len(r.err.splitlines()) == 1 and smtpd.messages == []
