"""Where things are (watchlist, settings, cache, portal) and the user's settings."""

from __future__ import annotations

import os
import sys
from datetime import time
from pathlib import Path
from typing import Any, NamedTuple

from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.domain.timeutil import (
    DEFAULT_ZONE,
    parse_duration,
    parse_time_of_day,
    system_zone_name,
    zone,
)

APP = "fundwatch"
PORTAL_URL = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
DEFAULT_ALARMS = ("14d", "3d", "1d")

# setting -> what it means (shown by `fundwatch config`, checked on load)
KNOWN = {
    "display_timezone": "zone in which dates are shown and 'today' is reckoned",
    "timezone": "zone of new calls' deadlines",
    "deadline_time": "time given to a deadline typed as a date alone (e.g. 17:00)",
    "portal_url": "Funding & Tenders Portal search API",
    "webhook": "chat webhook for `remind --post`",
    "alarms": "calendar alarms before each deadline",
    "milestones": "preparation milestones before each deadline (NAME=DUR)",
    "calendar_name": "name of the published calendar (`publish`)",
    "mail_from": "sender address of `remind --mail`",
    "smtp_host": "SMTP server of `remind --mail`",
    "smtp_port": "its port (default 587 for starttls, 465 for ssl, 25 for none)",
    "smtp_security": "starttls (default), ssl, or none (localhost only)",
    "smtp_user": "SMTP login (password from FUNDWATCH_SMTP_PASSWORD or ~/.netrc)",
}
SMTP_SECURITY = ("starttls", "ssl", "none")


_XDG = {
    "data": ("XDG_DATA_HOME", ".local/share"),
    "config": ("XDG_CONFIG_HOME", ".config"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


def _platform_dir(kind: str) -> Path:
    """The user's data, config or cache folder for fundwatch.

    On Linux this is the XDG rule that platformdirs applies, written out here
    because importing platformdirs costs ~14 ms a run (it pulls in tempfile);
    tests/test_settings.py checks that both agree. Elsewhere, platformdirs.
    """
    if sys.platform.startswith("linux"):
        env, default = _XDG[kind]
        base = os.environ.get(env, "").strip()
        if not base or not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), default)
        return Path(base) / APP
    import platformdirs

    getter = {
        "data": platformdirs.user_data_dir,
        "config": platformdirs.user_config_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    return Path(getter(APP, appauthor=False))


def watchlist_path(option: str | os.PathLike[str] | None = None) -> Path:
    """``--file`` > ``FUNDWATCH_FILE`` > the user data dir's ``fundwatch/calls.toml``."""
    chosen = option or os.environ.get("FUNDWATCH_FILE")
    if chosen:
        return Path(chosen).expanduser()
    return _platform_dir("data") / "calls.toml"


def config_path() -> Path:
    """``FUNDWATCH_CONFIG`` > the user config dir's ``fundwatch/config.toml``."""
    chosen = os.environ.get("FUNDWATCH_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    return _platform_dir("config") / "config.toml"


def cache_dir() -> Path | None:
    """``FUNDWATCH_CACHE_DIR`` (empty: no cache) > the user cache dir's ``fundwatch``."""
    chosen = os.environ.get("FUNDWATCH_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen else None
    return _platform_dir("cache")


class Settings(NamedTuple):
    path: Path
    exists: bool = False
    display_timezone: str = "UTC"
    timezone: str = DEFAULT_ZONE
    deadline_time: time | None = None
    portal_url: str = PORTAL_URL
    webhook: str | None = None
    alarms: tuple[str, ...] = DEFAULT_ALARMS
    milestones: tuple[str, ...] = ()
    calendar_name: str = "Funding deadlines"
    mail_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    unknown: tuple[str, ...] = ()
    sources: dict[str, str] | None = None


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (absent is fine); bad values are errors naming the file."""
    path = path or config_path()
    raw: dict[str, Any] = {}
    if path.is_dir():
        raise FundwatchError(
            f"{path} is a folder, not a settings file", hint="FUNDWATCH_CONFIG names the file"
        )
    exists = path.is_file()
    if exists:
        import tomllib

        source = ""
        try:
            source = path.read_text(encoding="utf-8")
            raw = tomllib.loads(source)
        except (OSError, UnicodeDecodeError) as exc:
            raise FundwatchError(f"{path}: cannot read settings: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            from fundwatch.storage.codec import toml_error

            raise toml_error(path, exc, source) from None

    sources: dict[str, str] = {}

    def get(key: str, env: str | None, default: Any, check: Any) -> Any:
        """The setting from its environment variable, the file or the default, checked."""
        if env and os.environ.get(env):
            sources[key], value = f"${env}", os.environ[env]
        elif key in raw:
            sources[key], value = "settings", raw[key]
        else:
            sources[key], value = "default", default
        if value is None:
            return None
        try:
            return check(value, key)
        except BadValue as exc:
            origin = str(path) if sources[key] == "settings" else sources[key]
            raise BadValue(f"{origin}: {key}: {exc.message}", exc.hint) from None

    display = get("display_timezone", None, None, _zone)
    if display is None:
        sources["display_timezone"] = "$TZ" if os.environ.get("TZ") else "system"
        display = system_zone_name()
        try:
            zone(display)
        except BadValue:
            display = "UTC"
    return Settings(
        path=path,
        exists=exists,
        display_timezone=display,
        timezone=get("timezone", None, DEFAULT_ZONE, _zone),
        deadline_time=get("deadline_time", None, None, _time),
        portal_url=get("portal_url", "FUNDWATCH_PORTAL_URL", PORTAL_URL, _url),
        webhook=get("webhook", "FUNDWATCH_WEBHOOK", None, _text),  # checked by --post
        alarms=get("alarms", None, DEFAULT_ALARMS, _durations),
        milestones=get("milestones", None, (), _milestones),
        calendar_name=get("calendar_name", None, "Funding deadlines", _name),
        mail_from=get("mail_from", None, None, _text),  # checked by remind --mail
        smtp_host=get("smtp_host", None, None, _text),
        smtp_port=get("smtp_port", None, None, _port),
        smtp_security=get("smtp_security", None, "starttls", _security),
        smtp_user=get("smtp_user", None, None, _text),
        unknown=tuple(k for k in raw if k not in KNOWN),
        sources=sources,
    )


def unknown_keys(settings: Settings) -> list[str]:
    """One line per key of the settings file that fundwatch does not know, naming the
    known key it most likely meant (`webhok` -> `webhook`); the caller names the file."""
    import difflib

    lines = []
    for key in settings.unknown:
        close = difflib.get_close_matches(key, list(KNOWN), n=1, cutoff=0.6)
        guess = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(KNOWN)
        lines.append(f"unknown setting '{key}', ignored ({guess})")
    return lines


def _zone(value: Any, key: str) -> str:
    zone(_text(value, key))
    return str(value)


def _time(value: Any, key: str) -> time:
    return parse_time_of_day(_text(value, key))


def _url(value: Any, key: str) -> str:
    from urllib.parse import urlsplit

    text = _text(value, key)
    if not text.startswith(("https://", "http://")):
        raise BadValue("must be an http(s) address")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:  # "http://[::1/": an IPv6 address without its "]"
        raise BadValue("is not a valid URL") from None
    if not parts.hostname:
        raise BadValue("has no host")
    return text


def _port(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise BadValue("must be a port number from 1 to 65535")
    return value


def _security(value: Any, key: str) -> str:
    text = _text(value, key)
    if text not in SMTP_SECURITY:
        raise BadValue(f"'{text}' is not one of {', '.join(SMTP_SECURITY)}")
    return text


def _durations(value: Any, key: str) -> tuple[str, ...]:
    texts = _texts(value, key)
    for text in texts:
        parse_duration(text)
    return texts


def _milestones(value: Any, key: str) -> tuple[str, ...]:
    texts = _texts(value, key)
    for text in texts:
        name, sep, span = text.rpartition("=")
        if not sep or not name.strip():
            raise BadValue(f"'{text}' is not NAME=DURATION", hint='such as "Partner letters=21d"')
        parse_duration(span)
    return texts


def _name(value: Any, key: str) -> str:
    text = " ".join(_text(value, key).split())
    if not text:
        raise BadValue("must not be empty")
    return text


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise BadValue(f"must be a string, not {type(value).__name__}")
    return value


def _texts(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise BadValue("must be a list of strings")
    return tuple(value)
