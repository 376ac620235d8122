"""The reminder as an e-mail, sent by SMTP: one ``multipart/alternative`` message with
the text and the HTML versions.

The message is an ``email.message.EmailMessage`` under the SMTP policy, which
refuses a line break in any header: the subject is the reminder's headline (counts
and the window, never a title), and titles only ever reach the body, where the
MIME encoding keeps them from breaking out of their part.

The server comes from the settings (``smtp_host``, ``smtp_port``, ``smtp_security``
``starttls`` / ``ssl`` / ``none``, the last for localhost only, ``smtp_user``); the
password only from ``FUNDWATCH_SMTP_PASSWORD`` or ``~/.netrc``, and it is never
shown. Every failure (unknown host, refused login, a dropped connection, no answer)
is one ``FundwatchError`` line. The whole send has a time limit, however slowly the
server answers.
"""

from __future__ import annotations

import contextlib
import os
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from fundwatch.domain.errors import BadValue, FundwatchError

if TYPE_CHECKING:
    from email.message import EmailMessage

    from fundwatch.storage.settings import Settings

PASSWORD_ENV = "FUNDWATCH_SMTP_PASSWORD"
PORTS = {"starttls": 587, "ssl": 465, "none": 25}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
TIMEOUT = 20.0  # one read or write
TOTAL = 60.0  # the whole send: connect, TLS, login, message, quit

# an address as people write it on the command line: no spaces, quotes, brackets or
# control characters before the @; after it a domain of dot-separated labels; within
# RFC 5321's lengths (64 for the local part, 254 in all: no header line passes 998)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(
    rf"(?=.{{3,254}}$)[^\s\"(),:;<>@\[\\\]]{{1,64}}@{_LABEL}(?:\.{_LABEL})*", re.ASCII
)


def _quoted(text: str) -> str:
    """Bad input quoted in an error: one line, the start of a long one."""
    from fundwatch.output.tables import one_line

    text = one_line(text)
    return text if len(text) <= 60 else text[:59] + "…"


class Server(NamedTuple):
    host: str
    port: int
    security: str
    user: str | None
    password: str | None

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


def recipients(text: str) -> list[str]:
    """``a@example.org,b@example.org`` -> the addresses, each checked."""
    found = [part.strip() for part in text.split(",")]
    for address in found:
        if not _ADDRESS.fullmatch(address) or not address.isascii() or not address.isprintable():
            raise BadValue(
                f"--mail: '{_quoted(address)}' is not an e-mail address",
                hint="give addresses such as you@example.org, separated by commas",
            )
    return list(dict.fromkeys(found))


def sender(settings: Settings) -> tuple[str, str]:
    """The setting mail_from (``office@example.org`` or ``Office <office@example.org>``)
    as a display name and an address."""
    from email.utils import parseaddr

    value = settings.mail_from
    if not value:
        raise FundwatchError(
            "no sender address for the mail",
            hint=f'set mail_from in {settings.path}, such as mail_from = "you@example.org"',
        )
    name, address = parseaddr(value)
    text = value.strip()
    # what parseaddr read must be what was written: it takes the first address-like
    # part ("a@b.org <office@...>" -> a@b.org) and drops what follows "<...>"
    as_written = text.endswith(f"<{address}>") if "<" in text else text.startswith(address)
    if (
        not as_written
        or not address
        or not _ADDRESS.fullmatch(address)
        or not address.isascii()  # as for recipients: SMTPUTF8 is not offered everywhere
        or not value.isprintable()
    ):
        raise BadValue(
            f"{settings.path}: mail_from: '{_quoted(value)}' is not an e-mail address",
            hint='such as "Cluster office <office@example.org>"; quote a name with @ or ,',
        )
    return name, address


def server(settings: Settings) -> Server:
    """The SMTP server, its security and the login, from the settings, the environment
    and ~/.netrc."""
    host = (settings.smtp_host or "").strip()
    if not host:
        raise FundwatchError(
            "no SMTP server to send the mail through",
            hint=f'set smtp_host in {settings.path}, such as smtp_host = "smtp.example.org"',
        )
    security = settings.smtp_security
    if security == "none" and host.lower() not in LOCAL_HOSTS:
        raise FundwatchError(
            f"smtp_security = none sends the mail unencrypted: allowed for localhost only, "
            f"not {host}",
            hint="use starttls or ssl",
        )
    port = settings.smtp_port or PORTS[security]
    user, password = settings.smtp_user, os.environ.get(PASSWORD_ENV) or None
    if password is None:
        login, password = _netrc(host, user)
        user = user or login
    elif not user:
        raise FundwatchError(
            f"{PASSWORD_ENV} is set, but not the login it belongs to",
            hint=f"set smtp_user in {settings.path}",
        )
    if user and not password:
        raise FundwatchError(
            f"no password for the SMTP login {user}",
            hint=f"set {PASSWORD_ENV} or add 'machine {host} login {user} password ...' "
            "to ~/.netrc",
        )
    # smtplib sends a login in ASCII only (its error would show a character of it)
    if user and not user.isascii():
        raise FundwatchError(
            f"smtp_user: '{user}' has characters beyond ASCII, which SMTP logins cannot send"
        )
    if user and password and not password.isascii():
        raise FundwatchError(
            "the SMTP password has characters beyond ASCII, which SMTP logins cannot send",
            hint="an ASCII password for the SMTP login, or an app password from the provider",
        )
    return Server(host, port, security, user or None, password if user else None)


def _netrc(host: str, user: str | None) -> tuple[str | None, str | None]:
    """The login and password ~/.netrc gives for ``host`` (for ``user``, when set)."""
    import netrc

    path = os.path.join(os.path.expanduser("~"), ".netrc")
    if not os.path.isfile(path):
        return None, None
    try:
        found = netrc.netrc(path).authenticators(host)
    except netrc.NetrcParseError as exc:
        # the message may quote the file's text, a password among it: the line only
        raise FundwatchError(f"{path}: cannot read line {exc.lineno}") from None
    except OSError as exc:
        raise FundwatchError(f"{path}: cannot read: {exc.strerror}") from None
    if found is None:
        return None, None
    login, _, password = found
    if user and login and login != user:
        return None, None
    return login or None, password or None


def message(
    subject: str,
    text: str,
    html: str,
    from_: tuple[str, str],
    to: list[str],
    now: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message: the text, then the HTML (the one a reader
    prefers when it can show it), with a proper Date and Message-ID."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid

    from fundwatch.output.tables import one_line

    name, address = from_
    domain = address.rpartition("@")[2] or "localhost"
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = one_line(subject)
    msg["From"] = Address(display_name=one_line(name), addr_spec=address)
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid("fundwatch", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(
    msg: EmailMessage, to_server: Server, timeout: float = TIMEOUT, total: float = TOTAL
) -> None:
    """Send ``msg`` to its recipients, within ``total`` seconds in all."""
    import threading

    connection: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            _deliver(msg, to_server, min(timeout, total), connection)
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="fundwatch-smtp", daemon=True)
    worker.start()
    worker.join(total)
    if worker.is_alive():
        for conn in connection:
            with contextlib.suppress(OSError):
                conn.close()
        raise FundwatchError(
            f"SMTP server {to_server.name} did not finish within {total:g} s; nothing sent"
        )
    if failure:
        raise _error(failure[0], to_server) from None


def _deliver(msg: EmailMessage, to: Server, timeout: float, connection: list[Any]) -> None:
    import smtplib
    import ssl

    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    # connects at once (the host also names the certificate that TLS expects)
    if to.security == "ssl":
        smtp = smtplib.SMTP_SSL(to.host, to.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(to.host, to.port, timeout=timeout)
    connection.append(smtp)
    try:
        smtp.ehlo()
        if to.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if to.user and to.password is not None:
            smtp.login(to.user, to.password)
        refused = smtp.send_message(msg)  # raises only when it refused every recipient
        # the message was taken: a failed goodbye changes nothing
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
    finally:
        smtp.close()
    if refused:
        error = _error(smtplib.SMTPRecipientsRefused(refused), to)
        taken = [a.addr_spec for a in msg["To"].addresses if a.addr_spec not in refused]
        raise FundwatchError(f"{error.message}; sent to {', '.join(taken)} only")


def _error(exc: BaseException, to: Server) -> FundwatchError:
    """One line for what went wrong; never the password."""
    import smtplib
    import socket
    import ssl

    from fundwatch.output.tables import one_line

    where = f"SMTP server {to.name}"
    _DROPPED = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError, EOFError)

    def said(e: smtplib.SMTPResponseException) -> str:
        text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else ""
        return one_line(f"{e.smtp_code} {text}".strip())

    if isinstance(exc, FundwatchError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return FundwatchError(
            f"{where} refused the login of {to.user}: {said(exc)}",
            hint=f"check smtp_user and the password ({PASSWORD_ENV} or ~/.netrc)",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(exc):
        return FundwatchError(
            f"{where} does not offer STARTTLS",
            hint="set smtp_security = ssl (port 465) if the server speaks TLS from the start",
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{k} ({said(smtplib.SMTPResponseException(*v))})" for k, v in exc.recipients.items()
        )
        return FundwatchError(f"{where} refused the recipients {refused}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return FundwatchError(
            f"{where} refused the sender {one_line(str(exc.sender))}: {said(exc)}"
        )
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == -1:
        # no reply code: another protocol on that port (smtplib keeps all but its start)
        return FundwatchError(
            f"{where} does not speak SMTP (it said '...{said(exc).removeprefix('-1 ')}'); "
            "nothing sent",
            hint=f"check smtp_port: {PORTS['starttls']} for starttls, {PORTS['ssl']} for ssl",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return FundwatchError(f"{where} answered {said(exc)}; nothing sent")
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):  # smtplib: disconnected
        return FundwatchError(
            f"{where} did not answer in time; nothing sent",
            # a server that speaks TLS from the start waits for it without a word
            hint=None if to.security == "ssl" else
            f"if it speaks TLS from the start, as on port {PORTS['ssl']}: smtp_security = ssl",
        )  # fmt: skip
    if isinstance(exc, _DROPPED):
        return FundwatchError(f"{where} dropped the connection; nothing sent")
    if isinstance(exc, socket.gaierror):
        return FundwatchError(f"unknown SMTP host '{to.host}'", hint="check the setting smtp_host")
    if isinstance(exc, ConnectionRefusedError):
        return FundwatchError(
            f"{where} refused the connection", hint="check smtp_host and smtp_port"
        )
    if isinstance(exc, ssl.SSLError):
        reason = one_line(getattr(exc, "verify_message", None) or exc.reason or str(exc))
        plain = to.security == "ssl" and exc.reason == "WRONG_VERSION_NUMBER"  # it said "220"
        return FundwatchError(
            f"TLS with {where} failed: {reason}",
            hint=f"it starts without TLS, as on port {PORTS['starttls']}: "
            "set smtp_security = starttls"
            if plain
            else None,
        )
    if isinstance(exc, smtplib.SMTPException):
        return FundwatchError(f"{where}: {one_line(str(exc))}")
    if isinstance(exc, OSError):
        return FundwatchError(f"cannot reach {where}: {one_line(exc.strerror or str(exc))}")
    return FundwatchError(f"{where}: {type(exc).__name__}: {one_line(str(exc))}")
