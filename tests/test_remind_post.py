"""`fundwatch remind --post` end to end: the CLI against a local webhook server."""

from __future__ import annotations

import json

from localserver import SECRET, Answer

REMIND = ("remind", "--as-of", "2025-11-03", "--within", "30d")  # the sample: 3 due


def test_posts_once_to_the_webhook_and_prints_nothing(fw, sample, server):
    r = fw(*REMIND, "--post", "--webhook", server.url())
    assert (r.code, r.out, r.err) == (0, "", "")
    [seen] = server.requests
    assert seen.method == "POST" and seen.path == f"/hooks/T000/{SECRET}"
    # /hooks/<id>/<token> is Rocket.Chat: {"text"}, aligned text in a code block
    text = json.loads(seen.body)["text"]
    assert text.startswith("```\nFunding deadlines: 3 due within 30d")
    assert "Accelerating uptake through open proposals" in text


def test_mattermost_gets_markdown_tables(fw, sample, server):
    r = fw(*REMIND, "--post", "--webhook", server.url("/hooks/abc123"))
    assert r.code == 0, r.err
    text = json.loads(server.requests[0].body)["text"]
    assert "| Deadline | Left | Call |" in text


def test_webhook_from_the_environment_and_slack_gets_a_code_block(fw, sample, server):
    r = fw(*REMIND, "--post", "--post-format", "slack", env={"FUNDWATCH_WEBHOOK": server.url()})
    assert r.code == 0, r.err
    text = json.loads(server.requests[0].body)["text"]
    assert text.startswith("```\nFunding deadlines: 3 due within 30d")
    assert text.endswith("```")


def test_webhook_from_the_settings(fw, sample, server, fw_env):
    with open(fw_env["FUNDWATCH_CONFIG"], "w", encoding="utf-8") as f:
        f.write(f'webhook = "{server.url()}"\n')
    assert fw(*REMIND, "--post").code == 0
    assert len(server.requests) == 1


def test_an_empty_week_posts_nothing(fw, sample, server):
    r = fw("remind", "--as-of", "2025-07-01", "--post", "--webhook", server.url())
    assert (r.code, r.out, r.err) == (0, "", "")
    assert server.requests == []
    r = fw("remind", "--as-of", "2025-07-01", "--post", "--webhook", server.url(), "--exit-code")
    assert r.code == 3 and server.requests == []


def test_500_then_200_lands(fw, sample, server):
    server.answers(500, 200)
    assert fw(*REMIND, "--post", "--webhook", server.url()).code == 0
    assert len(server.requests) == 2


def test_failure_is_one_line_without_the_secret(fw, sample, server):
    server.answers(Answer(404, body=b"no_service"))
    r = fw(*REMIND, "--post", "--webhook", server.url())
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith("error: ") and "404" in line and server.host in line
    assert SECRET not in r.err
    assert len(server.requests) == 1


def test_no_webhook_is_a_clear_error(fw, sample):
    r = fw(*REMIND, "--post")
    assert r.code == 1
    assert r.err.startswith("error: no chat webhook to post to")
