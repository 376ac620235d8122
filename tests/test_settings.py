"""Where things are, and the settings file."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import platformdirs
import pytest

from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.storage.settings import _platform_dir, load_settings


@pytest.mark.parametrize("kind", ["data", "config", "cache"])
@pytest.mark.parametrize(
    "xdg", [None, "/srv/xdg", "relative/path", ""], ids=["unset", "absolute", "relative", "empty"]
)
def test_platform_dirs_agree_with_platformdirs(kind, xdg, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        if xdg is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, xdg)
    getter = {
        "data": platformdirs.user_data_dir,
        "config": platformdirs.user_config_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    assert _platform_dir(kind) == Path(getter("fundwatch", appauthor=False))
    if sys.platform.startswith("linux") and xdg is None:
        assert str(_platform_dir(kind)).startswith(str(tmp_path))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_settings_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Kyiv")
    monkeypatch.delenv("FUNDWATCH_WEBHOOK", raising=False)
    monkeypatch.delenv("FUNDWATCH_PORTAL_URL", raising=False)
    s = load_settings(tmp_path / "absent.toml")
    assert (s.exists, s.display_timezone, s.timezone, s.deadline_time) == (
        False, "Europe/Kyiv", "Europe/Brussels", None,
    )  # fmt: skip
    assert s.alarms == ("14d", "3d", "1d")
    assert s.sources["display_timezone"] == "$TZ"


@pytest.mark.parametrize("tz", ["CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Brusels"])
def test_a_tz_fundwatch_cannot_read_is_an_error_naming_it(tmp_path, monkeypatch, tz):
    # issue 11: it used to fall back to UTC times without a word
    monkeypatch.setenv("TZ", tz)
    with pytest.raises(FundwatchError, match=f"TZ: unknown time zone '{re.escape(tz)}'"):
        load_settings(tmp_path / "absent.toml")
    # the setting display_timezone wins over TZ
    s = load_settings(write(tmp_path, 'display_timezone = "Europe/Brussels"\n'))
    assert s.display_timezone == "Europe/Brussels"


def test_values_are_read_and_checked(tmp_path, monkeypatch):
    monkeypatch.delenv("FUNDWATCH_WEBHOOK", raising=False)
    path = write(
        tmp_path,
        'display_timezone = "America/New_York"\ndeadline_time = "17:00"\n'
        'alarms = ["7d", "1d"]\nmilestones = ["Partner letters=21d"]\n'
        'webhook = "https://hooks.example.org/T000/B000/secret"\nsurprise = 1\n',
    )
    s = load_settings(path)
    assert s.display_timezone == "America/New_York"
    assert s.deadline_time is not None and s.deadline_time.strftime("%H:%M") == "17:00"
    assert s.alarms == ("7d", "1d")
    assert s.milestones == ("Partner letters=21d",)
    assert s.unknown == ("surprise",)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('display_timezone = "Mars/Olympus"', "display_timezone: unknown time zone 'Mars/Olympus'"),
        ('deadline_time = "25:00"', "deadline_time: '25:00' is not a time of day"),
        ("webhook = 5", "webhook: must be a string, not int"),
        ('alarms = ["banana"]', "alarms: 'banana' is not a duration"),
        ('milestones = ["21d"]', "milestones: '21d' is not NAME=DURATION"),
        ("alarms = 3", "alarms: must be a list of strings"),
    ],
)
def test_bad_values_name_the_file_and_the_setting(tmp_path, monkeypatch, text, needle):
    monkeypatch.delenv("FUNDWATCH_WEBHOOK", raising=False)
    path = write(tmp_path, text + "\n")
    with pytest.raises(BadValue) as err:
        load_settings(path)
    assert err.value.message == f"{path}: {needle}"


def test_environment_beats_the_file_and_is_named_in_errors(tmp_path, monkeypatch):
    path = write(tmp_path, 'webhook = "https://a.example.org/x"\n')
    monkeypatch.setenv("FUNDWATCH_WEBHOOK", "https://b.example.org/y")
    assert load_settings(path).webhook == "https://b.example.org/y"
    # a wrong webhook is for `remind --post` to report; it must not break `list`
    monkeypatch.setenv("FUNDWATCH_WEBHOOK", "nope")
    assert load_settings(path).webhook == "nope"


def test_malformed_settings_file_names_its_line(tmp_path):
    path = write(tmp_path, 'timezone = "Europe/Brussels"\nalarms = [\n')
    with pytest.raises(Exception) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path} line ")


def test_a_folder_as_the_settings_file_is_an_error(fw, tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "config.toml").write_text('timezone = "Europe/Kyiv"\n', encoding="utf-8")
    r = fw("config", env={"FUNDWATCH_CONFIG": str(folder)})
    assert (r.code, r.err) == (
        1, f"error: {folder} is a folder, not a settings file (FUNDWATCH_CONFIG names the file)\n"
    )  # fmt: skip
