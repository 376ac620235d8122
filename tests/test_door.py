"""Issue 11: mistakes caught at the door: one line on stderr, exit 1 (2 for the command
line), nothing written."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from test_faults import _as_user as as_user

from fundwatch.storage import store

ONE = 'version = 1\n\n[[calls]]\nid = "eie"\ntitle = "EIE"\nidentifier = "HORIZON-EIE-2026-01"\ndeadline = 2027-01-20\n'  # noqa: E501


@pytest.fixture
def one(fw_env) -> Path:
    path = Path(fw_env["FUNDWATCH_FILE"])
    path.write_text(ONE, encoding="utf-8")
    return path


def refused(r, code: int = 1) -> str:
    assert (r.code, r.out) == (code, ""), r
    assert r.err.startswith("error: ") and r.err.count("\n") == 1, r.err
    return r.err


@pytest.mark.parametrize(
    ("tz", "said"),
    [
        ("Europe/Brusels", "error: TZ: unknown time zone 'Europe/Brusels' (did you mean "
         "Europe/Brussels?)\n"),
        ("CET-1CEST,M3.5.0,M10.5.0/3", "error: TZ: unknown time zone 'CET-1CEST,M3.5.0,M10.5.0/3'"),
    ],
)  # fmt: skip
def test_an_unknown_tz_is_named(fw, one, tz, said):
    for args in (("upcoming",), ("list", "--format", "json"), ("remind",)):
        assert refused(fw(*args, env={"TZ": tz})).startswith(said)


def test_an_unknown_display_timezone_is_named(fw, one, fw_env):
    Path(fw_env["FUNDWATCH_CONFIG"]).write_text('display_timezone = "Europe/Brusels"\n')
    err = refused(fw("upcoming"))
    assert "display_timezone: unknown time zone 'Europe/Brusels'" in err


def test_a_read_only_watchlist_is_not_replaced_even_by_root(fw, one):
    one.chmod(0o444)
    before = one.read_bytes()
    err = refused(fw("add", "Another", "--deadline", "2027-02-01"))
    assert err == f"error: {one} is read-only (make it writable (chmod u+w) to change it)\n"
    refused(fw("edit", "eie", "--notes", "x"))
    refused(fw("remove", "eie", "--yes"))
    assert one.read_bytes() == before
    assert not Path(str(one) + ".bak").exists()
    assert fw("list").code == 0  # reading is fine


def test_a_read_only_watchlist_as_another_user(fw_env):
    """As nobody (a child process when the tests run as root): the folder is writable,
    the file is not; the rename would go through, so the check must be ours."""
    folder = Path(tempfile.mkdtemp(prefix="fundwatch-ro-"))
    try:
        folder.chmod(0o777)
        path = folder / "calls.toml"
        path.write_text(ONE, encoding="utf-8")
        path.chmod(0o644)  # root's file when we are root: others may read, not write
        before = path.read_bytes()

        def clear() -> None:
            with store.transaction(path) as watchlist:
                watchlist.calls.clear()

        code, said = as_user(clear)
        if os.geteuid() != 0 and os.access(path, os.W_OK):
            pytest.skip("this user may write the file")
        assert code == 1 and said.startswith(f"{path} is read-only for you (it is "), said
        assert path.read_bytes() == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_output_into_a_folder_that_does_not_exist(fw, one, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "x.ics"
    err = refused(fw("export", "ics", "-o", str(target)))
    assert err == (
        f"error: cannot write {target}: {target.parent} does not exist "
        "(create the folder first, or fix -o)\n"
    )
    assert not (tmp_path / "no").exists()
    assert fw("export", "ics", "-o", str(tmp_path / "x.ics")).code == 0


def test_add_with_an_identifier_already_watched(fw, one):
    before = one.read_bytes()
    err = refused(fw("add", "EIE again", "--identifier", "horizon-eie-2026-01",
                     "--deadline", "2027-01-20"))  # fmt: skip
    assert err == (
        "error: HORIZON-EIE-2026-01 is already on the watchlist as eie "
        "(change that call with `fundwatch edit eie ...`)\n"
    )
    assert one.read_bytes() == before
    assert fw("add", "Other", "--identifier", "HORIZON-X", "--deadline", "2027-01-20").code == 0
    before = one.read_bytes()
    err = refused(fw("edit", "other", "--identifier", "HORIZON-EIE-2026-01"))
    assert err.startswith("error: HORIZON-EIE-2026-01 is already on the watchlist as eie")
    assert one.read_bytes() == before
    assert fw("edit", "eie", "--identifier", "horizon-eie-2026-01").code == 0  # its own


def test_an_opening_date_after_the_last_deadline(fw, one):
    before = one.read_bytes()
    err = refused(fw("add", "Late", "--opens", "01/03/2027", "--deadline", "20/01/2027"))
    assert err.startswith(
        "error: --opens 01/03/2027 is after the last deadline of late, 20/01/2027"
    )
    refused(fw("edit", "eie", "--opens", "21/01/2027"))
    refused(fw("edit", "eie", "--opens", "2027-01-20 12:00", "--deadline", "2027-01-20 11:00"))
    assert one.read_bytes() == before
    assert fw("edit", "eie", "--opens", "20/01/2027").code == 0  # the same day: all-day deadline


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.org/a"])
def test_a_link_that_is_not_http(fw, one, url):
    before = one.read_bytes()
    err = refused(fw("add", "X", "--url", url, "--deadline", "2027-01-20"))
    assert err.startswith(f"error: --url: url '{url}' is not an http(s) address")
    refused(fw("edit", "eie", "--url", url))
    assert one.read_bytes() == before


def test_unknown_settings_are_named_with_the_nearest_key(fw, one, fw_env):
    config = fw_env["FUNDWATCH_CONFIG"]
    Path(config).write_text('webhok = "https://hooks.example.org/x"\nfoo = 1\n')
    r = fw("config")
    assert r.code == 0
    first, second = r.err.splitlines()
    assert (
        first == f"warning: {config}: unknown setting 'webhok', ignored (did you mean 'webhook'?)"
    )
    assert second.startswith(
        f"warning: {config}: unknown setting 'foo', ignored (known: display_timezone, timezone, "
    )
    r = fw("check")
    assert r.code == 0
    assert (
        f"{config}: warning: unknown setting 'webhok', ignored (did you mean 'webhook'?)"
        in r.out.splitlines()
    )


def test_webhook_means_post_and_post_takes_no_format(fw, sample, server):
    remind = ("remind", "--as-of", "2025-11-03", "--within", "30d")
    r = fw(*remind, "--webhook", server.url())
    assert (r.code, r.out, r.err) == (0, "", "")
    assert len(server.requests) == 1
    for extra in (("--post", "--webhook", server.url()), ("--webhook", server.url()), ("--post",)):
        r = fw(*remind, *extra, "--format", "html")
        assert refused(r, 2).startswith("error: --")
        assert "--format html cannot go with it" in r.err
    assert len(server.requests) == 1
