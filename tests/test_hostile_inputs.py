"""Issue 12, items 7-8: portal values of the wrong type, and inputs that used to end in
"unexpected ... please report it" (deep JSON, lone surrogates, host names that are not
IDNA, an IPv6 URL without its "]")."""

from __future__ import annotations

import json

import pytest
from localserver import Answer, Portal

from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.portal.client import search_pages
from fundwatch.portal.topics import parse_search_page

SSRI04 = "HORIZON-CL3-2025-01-SSRI-04"
AS_OF = ("--as-of", "2025-10-08")


@pytest.fixture
def portal(server, fw_env, monkeypatch):
    server.respond = Portal()
    url = f"http://{server.host}/search-api/prod/rest/search"
    fw_env["FUNDWATCH_PORTAL_URL"] = url
    monkeypatch.setenv("FUNDWATCH_PORTAL_URL", url)
    return server


# --- 7. portal dates of the wrong type --------------------------------------------------------


def _set_actions_deadline(portal, identifier: str, value) -> None:
    for row in portal.respond.rows:
        meta = row.get("metadata", row)
        if meta.get("identifier") == [identifier]:
            actions = json.loads(meta.get("actions", ["[{}]"])[0])
            for action in actions:
                action["deadlineDates"] = value
            meta["actions"] = [json.dumps(actions)]
            meta.pop("deadlineDate", None)  # so that the actions' dates are the ones read


def test_a_number_for_a_deadline_is_not_a_date_and_sync_writes_nothing(fw, portal, watchlist):
    assert fw("watch", SSRI04, *AS_OF).code == 0
    before = watchlist.read_bytes()
    _set_actions_deadline(portal, SSRI04, 5)  # was read as 5 ms after 1970
    r = fw("sync", *AS_OF)
    assert r.code == 1, r.out
    assert "deadlineDates 5 is not a date" in r.err or "'5' is not a date" in r.err, r.err
    assert "not in the shape fundwatch knows" in r.err
    assert r.err.count("\n") == 1 and "1970" not in r.out + r.err
    assert watchlist.read_bytes() == before


@pytest.mark.parametrize(
    "value",
    [5, "5", 0, -86_400_000, 4_200_000_000_000, "1985-06-01", "2101-01-01", "123456789"],
)
def test_portal_dates_outside_1990_to_2100_are_not_dates(value):
    from localserver import search_page, search_rows

    rows = search_rows()
    meta = rows[0]["metadata"]
    meta["deadlineDate"] = [value]
    with pytest.raises(FundwatchError) as caught:
        parse_search_page(search_page(rows[:1]))
    assert "is not a date" in caught.value.message


def test_portal_dates_inside_the_range_still_read():
    from localserver import search_page, search_rows

    rows = search_rows()
    rows[0]["metadata"]["deadlineDate"] = [1_790_000_000_000]  # epoch ms in 2026
    (topic,) = parse_search_page(search_page(rows[:1]))
    assert topic.deadlines[0].at.year == 2026


# --- 8. one clear line instead of "unexpected" --------------------------------------------------


def test_deeply_nested_json_import_is_one_line(fw, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    r = fw("import", str(deep))
    assert (r.code, r.err) == (
        1,
        "error: deep.json: JSON nested too deeply to be a list of calls\n",
    )


def test_a_lone_surrogate_in_a_json_import_is_one_line(fw, tmp_path, watchlist):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"title": "A \\ud800 B", "deadline": "2027-01-01"}]')
    r = fw("import", str(bad))
    assert (r.code, r.err) == (
        1, "error: bad.json: not valid text (a lone surrogate \\ud800, half of a character)\n"
    )  # fmt: skip
    assert not watchlist.exists()


def test_deeply_nested_json_from_the_portal_is_one_line(server):
    server.answers(
        Answer(200, (("Content-Type", "application/json"),), b"[" * 100_000 + b"]" * 100_000)
    )
    with pytest.raises(FundwatchError) as caught:
        search_pages(f"http://{server.host}/search", retries=0, progress=False)
    assert "answered invalid JSON" in caught.value.message
    assert "nested too deeply" in caught.value.message


@pytest.mark.parametrize("host", ["xn--zz.com", "a..b", "a" * 64 + ".com"])
def test_webhook_hosts_that_are_not_idna_are_one_line(host):
    from test_webhook import MARKDOWN, REMINDER

    from fundwatch.publishing import webhook

    with pytest.raises(BadValue) as caught:
        webhook.post(f"https://{host}/hooks/SECRET", MARKDOWN, REMINDER)
    assert caught.value.message == "the webhook URL's host name is not valid"


def test_an_ipv6_url_without_its_bracket_in_the_settings_is_one_line(fw, fw_env, sample):
    from pathlib import Path

    config = Path(fw_env["FUNDWATCH_CONFIG"])
    config.write_text('portal_url = "http://[::1/"\n')
    for args in (("search", "x"), ("config",), ("upcoming",)):
        r = fw(*args)
        assert r.code == 1 and r.err.count("\n") == 1, (args, r.err)
        assert r.err.startswith(f"error: {config}: portal_url: is not a valid URL"), r.err
    config.write_text('webhook = "http://[::1/"\n')
    r = fw("config")
    assert r.code == 0 and "(set, not a valid URL)" in r.out
    r = fw("remind", "--post")
    assert (r.code, r.err) == (
        1,
        "error: the chat webhook is not a valid URL (it starts with https://)\n",
    )


# --- numbers Python reads but no budget is (probe of issue 12) --------------------------------

BIG = "1" * 5000  # int() refuses more than 4,300 digits
TOML = 'version = 1\n[[calls]]\ntitle = "x"\ndeadline = 2027-01-01\n'


@pytest.mark.parametrize(
    "name, text, said",
    [
        ("big.json", f'[{{"title": "x", "deadline": "2027-01-01", "budget": {BIG}}}]',
         "big.json: not valid JSON (a number of more than 4,300 digits)"),
        ("inf.json", '[{"title": "x", "deadline": "2027-01-01", "budget": 1e999}]',
         "inf.json: not valid JSON (1e999 is too large a number)"),
        ("nan.json", '[{"title": "x", "deadline": "2027-01-01", "budget": NaN}]',
         "nan.json: not valid JSON (NaN is not a JSON number)"),
        ("big.toml", f"{TOML}budget = {BIG}\n",
         "big.toml: a number of more than 4,300 digits"),
        ("nan.toml", f"{TOML}budget = nan\n",
         "nan.toml line 5: call 'x': budget must be a finite number"),
        ("deep.toml", "version = 1\nx = " + "[" * 50_000 + "]" * 50_000 + "\n",
         "deep.toml: lists or tables nested too deeply"),
    ],
)  # fmt: skip
def test_numbers_no_budget_can_be_are_one_line_and_nothing_is_written(
    fw, tmp_path, sample, name, text, said
):
    # before: "unexpected ValueError" (RecursionError), or NaN and Infinity accepted, which
    # `list --format json` then wrote as NaN / Infinity: not JSON
    source = tmp_path / name
    source.write_text(text)
    before = sample.read_bytes()
    r = fw("import", str(source))
    assert (r.code, r.err) == (1, f"error: {said}\n")
    assert sample.read_bytes() == before


def test_a_csv_budget_of_thousands_of_digits_stays_text(fw, tmp_path, sample):
    source = tmp_path / "big.csv"
    source.write_text(f"title,deadline,budget\nx,2027-01-01,{BIG}\n")
    assert fw("import", str(source)).code == 0  # before: "unexpected ValueError"
    listed = json.loads(fw("list", "--format", "json").out)
    assert [c["budget"] for c in listed if c["title"] == "x"] == [BIG]
