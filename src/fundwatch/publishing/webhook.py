"""`remind --post`: the reminder as chat messages, sent to an incoming webhook.

Slack, Mattermost and Rocket.Chat take ``{"text": markdown}``; Discord takes
``{"content": ...}`` of at most 2,000 characters a message; Microsoft Teams workflow
webhooks take an Adaptive Card, built here from the Reminder itself. The kind comes
from ``--post-format`` or is recognised from the URL (``kind_for``).

Import this module inside the command: it is only needed with ``--post``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from fundwatch.domain.errors import BadValue, FundwatchError
from fundwatch.domain.timeutil import human
from fundwatch.output.tables import days_text, one_line, web_url, when_text, zone_caption

if TYPE_CHECKING:
    from fundwatch.domain.query import DeadlineRow
    from fundwatch.domain.reminder import Opening, Reminder

KINDS = ("slack", "mattermost", "rocketchat", "discord", "teams")

DISCORD_LIMIT = 2000  # characters of one message's content
# Teams takes about 28 KB a message; a card bigger than this is sent as several.
TEAMS_LIMIT = 24_000  # bytes of JSON


# --- which kind of webhook ----------------------------------------------------------------


def kind_for(url: str, explicit: str | None = None) -> str:
    """The payload kind for ``url``: ``explicit`` when given, else recognised from the host
    and path; an unknown service gets Slack's ``{"text"}``, which most chats accept."""
    if explicit:
        kind = explicit.strip().lower()
        if kind not in KINDS:
            raise BadValue(f"unknown post format '{explicit}'", hint="use " + ", ".join(KINDS))
        return kind
    try:
        parts = urlsplit(url.strip())
        name = (parts.hostname or "").lower()
    except ValueError:
        return "slack"
    path = parts.path
    if name in ("hooks.slack.com", "hooks.slack-gov.com"):
        return "slack"
    if _within(name, "discord.com", "discordapp.com") and re.match(r"/api(/v\d+)?/webhooks/", path):
        return "discord"
    if _within(name, "webhook.office.com", "logic.azure.com", "powerplatform.com"):
        return "teams"
    segments = path.split("/")
    if "hooks" in segments:
        # Mattermost: /hooks/<key>; Rocket.Chat: /hooks/<id>/<token>
        after = [s for s in segments[segments.index("hooks") + 1 :] if s]
        return "rocketchat" if len(after) >= 2 else "mattermost"
    return "slack"


def _within(name: str, *domains: str) -> bool:
    return any(name == d or name.endswith("." + d) for d in domains)


# --- the messages -------------------------------------------------------------------------


def payloads(kind: str, markdown: str, reminder: Reminder) -> list[dict[str, Any]]:
    """The JSON bodies to post, in order; none when there is nothing to say.

    ``markdown`` is the reminder rendered as Markdown (for the text kinds); Teams gets
    an Adaptive Card made from ``reminder``.
    """
    if kind == "teams":
        if reminder.empty:
            return []
        return [_card_message(body) for body in card_bodies(reminder)]
    if not markdown.strip():
        return []
    if kind == "discord":
        # a code block of its own in each message (Discord renders no tables);
        # allowed_mentions: an "@everyone" in a title must not ping anyone
        fence = "```\n"
        return [
            {"content": fence + part.rstrip("\n") + "\n```", "allowed_mentions": {"parse": []}}
            for part in split_text(markdown, DISCORD_LIMIT - 2 * len(fence))
        ]
    if kind in KINDS:
        return [{"text": markdown}]
    raise BadValue(f"unknown post format '{kind}'", hint="use " + ", ".join(KINDS))


def _units(text: str) -> int:
    """Length as JavaScript counts it (UTF-16 code units): an emoji counts 2."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(line: str, limit: int) -> int:
    """How many characters of ``line`` fit in ``limit`` units."""
    used = 0
    for i, ch in enumerate(line):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return max(i, 1)
    return len(line)


def split_text(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """``text`` in messages of at most ``limit`` characters, broken between lines
    (preferably at a blank line, between sections); a longer line is cut hard.

    Joined with newlines, the messages give ``text`` back (less trailing newlines and
    blank-only messages) when no line had to be cut.
    """
    pieces: list[str] = []
    for line in text.rstrip("\n").split("\n"):
        while _units(line) > limit:
            cut = _hard_cut(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        add = _units(piece) + (1 if current else 0)
        if current and size + add > limit:
            keep = current
            # break at the last blank line if that keeps at least half a message
            for i in range(len(current) - 1, 0, -1):
                if not current[i].strip():
                    if _units("\n".join(current[:i])) >= limit // 2:
                        keep = current[:i]
                    break
            messages.append("\n".join(keep))
            current = current[len(keep) :]
            size = _units("\n".join(current)) if current else 0
            add = _units(piece) + (1 if current else 0)
            if current and size + add > limit:  # the carried-over part and piece do not fit
                messages.append("\n".join(current))
                current, size, add = [], 0, _units(piece)
        current.append(piece)
        size += add
    if current:
        messages.append("\n".join(current))
    return [m for m in messages if m.strip()]


# --- Teams: an Adaptive Card --------------------------------------------------------------

_CARD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_~[]{}<>&"})
_LINE_START = re.compile(r"^(?:[-+#>]|\d+[.)])")


def card_escape(value: object) -> str:
    """A value from the watchlist as literal text in Adaptive Card Markdown: on one line,
    with every character that could start markup (emphasis, links, code, HTML, entities,
    ``{{DATE()}}`` functions, a list or heading at the start) escaped by a backslash."""
    from fundwatch.output.report import no_mentions

    text = one_line("" if value is None else str(value)).translate(_CARD_SPECIAL)
    m = _LINE_START.match(text)
    if m:
        end = m.end()
        text = text[: end - 1] + "\\" + text[end - 1 :]
    return no_mentions(text)


def _card_link(text: str, url: str | None) -> str:
    label = card_escape(text)
    safe = web_url(url)
    return f"[{label}]({safe})" if safe else label


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _cell(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "TableCell", "items": list(items)}


def _row(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"type": "TableRow", "cells": list(cells)}


def _header(*names: str) -> dict[str, Any]:
    return _row(*(_cell(_text(n, weight="Bolder")) for n in names))


def _urgency(days: int) -> dict[str, Any]:
    """The colours of the terminal and e-mail tables (output.presentation.urgency)."""
    from fundwatch.output.presentation import urgency

    level = urgency(days)
    if level == "urgent":
        return {"color": "Attention", "weight": "Bolder"}
    if level == "soon":
        return {"color": "Warning"}
    return {}


def _call_cell(title: str, url: str | None, programme: str | None) -> dict[str, Any]:
    items = [_text(_card_link(title, url))]
    if programme:
        items.append(_text(card_escape(programme), isSubtle=True, spacing="None", size="Small"))
    return _cell(*items)


def _deadline_row(r: DeadlineRow, reminder: Reminder) -> dict[str, Any]:
    c, d = r.call, r.deadline
    return _row(
        _cell(_text(card_escape(when_text(d, reminder.clock)))),
        _cell(_text(card_escape(days_text(r.days_left)), **_urgency(r.days_left))),
        _call_cell(c.title, c.url, c.programme),
        _cell(_text(card_escape(d.label or ""))),
        _cell(_text(card_escape(c.identifier or c.id))),
    )


def _opening_row(o: Opening) -> dict[str, Any]:
    c = o.call
    return _row(
        _cell(_text(card_escape(human(o.opens)))),
        _cell(_text(card_escape(days_text(o.days)))),
        _call_cell(c.title, c.url, c.programme),
        _cell(_text(card_escape(c.identifier or c.id))),
    )


class _Section(NamedTuple):
    title: str  # escaped
    header: dict[str, Any] | None  # a table's header row; None: a FactSet
    widths: tuple[int, ...]
    items: list[dict[str, Any]]  # table rows, or facts


_DEADLINE_HEAD = ("Deadline", "Left", "Call", "Stage", "ID")
_DEADLINE_WIDTHS = (3, 1, 5, 2, 3)


def _sections(reminder: Reminder) -> list[_Section]:
    within = card_escape(reminder.within)
    sections = []
    head = _header(*_DEADLINE_HEAD)
    if reminder.today:
        rows = [_deadline_row(r, reminder) for r in reminder.today]
        sections.append(_Section("Due today", head, _DEADLINE_WIDTHS, rows))
    for week in reminder.weeks:
        rows = [_deadline_row(r, reminder) for r in week.rows]
        sections.append(_Section(card_escape(week.title), head, _DEADLINE_WIDTHS, rows))
    if reminder.opening:
        rows = [_opening_row(o) for o in reminder.opening]
        opening_head = _header("Opens", "In", "Call", "ID")
        sections.append(_Section(f"Opening within {within}", opening_head, (3, 1, 6, 3), rows))
    if reminder.new_topics:
        sections.append(_new_section(reminder))
    if reminder.changes:
        from fundwatch.output.report import changes_title

        title = card_escape(changes_title(reminder))
        facts = [
            {"title": card_escape(ch.call_id), "value": card_escape(ch.text)}
            for ch in reminder.changes
        ]
        sections.append(_Section(title, None, (), facts))
    return sections


def _new_section(reminder: Reminder) -> _Section:
    """The topics saved searches found new: deadline, topic (linked), kind, search."""
    from fundwatch.output.report import NEW_TITLE

    rows = []
    for f in reminder.new_topics:
        nxt = f.next_deadline(reminder.clock)
        when = when_text(nxt, reminder.clock) if nxt else ""
        rows.append(
            _row(
                _cell(_text(card_escape(when))),
                _call_cell(f.title or f.identifier, f.url, f.programme),
                _cell(_text(card_escape(f"{f.kind}, {f.status(reminder.clock)}"))),
                _cell(_text(card_escape(f.search))),
            )
        )
    head = _header("Next deadline", "Topic", "Kind", "Search")
    return _Section(NEW_TITLE, head, (3, 6, 2, 3), rows)


def _heading(reminder: Reminder) -> list[dict[str, Any]]:
    due = len(reminder.today) + sum(len(w.rows) for w in reminder.weeks)
    parts = []
    if due:
        parts.append(f"{due} deadline{'s' if due != 1 else ''} due within {reminder.within}")
    if reminder.opening:
        n = len(reminder.opening)
        parts.append(f"{n} call{'s' if n != 1 else ''} opening")
    if reminder.changes:
        parts.append("changes at the last portal sync")
    if reminder.new_topics:
        parts.append(f"{len(reminder.new_topics)} new on the portal")
    summary = ", ".join(parts)
    return [
        _text("Funding call deadlines", style="heading", size="Large", weight="Bolder"),
        _text(
            card_escape(f"{summary[:1].upper()}{summary[1:]}. {zone_caption(reminder.clock)}"),
            isSubtle=True,
            spacing="None",
        ),
    ]


def _block(section: _Section, items: list[dict[str, Any]], continued: bool) -> list[dict[str, Any]]:
    title = section.title + (" (continued)" if continued else "")
    blocks = [_text(title, weight="Bolder", size="Medium", spacing="Large")]
    if section.header is None:
        blocks.append({"type": "FactSet", "facts": items})
    else:
        blocks.append(
            {
                "type": "Table",
                "columns": [{"width": w} for w in section.widths],
                "firstRowAsHeader": True,
                "showGridLines": False,
                "rows": [section.header, *items],
            }
        )
    return blocks


def _card_message(body: list[dict[str, Any]]) -> dict[str, Any]:
    """The envelope that Teams workflow webhooks (and the old connectors) take."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard",
                    "version": "1.5",
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "msteams": {"width": "Full"},
                    "body": body,
                },
            }
        ],
    }


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def card_bodies(reminder: Reminder, limit: int = TEAMS_LIMIT) -> list[list[dict[str, Any]]]:
    """The card body: a heading, then per section a title and a table (a FactSet for the
    changes). Usually one card; when the JSON would pass ``limit`` bytes, the sections go
    on in further cards, a long section split between rows."""
    cards: list[list[dict[str, Any]]] = [_heading(reminder)]
    used = _size(_card_message(cards[0]))
    fresh = True  # nothing but the heading in the current card
    for section in _sections(reminder):
        items, continued = section.items, False
        while items:
            extra = _size(_block(section, [], continued)) + 1
            n = 0
            for item in items:
                cost = _size(item) + 1
                if used + extra + cost > limit:
                    break
                extra += cost
                n += 1
            if n == 0:
                if not fresh:
                    cards.append([])
                    used, fresh = _size(_card_message([])), True
                    continue
                n, extra = 1, extra + _size(items[0]) + 1  # one oversized row: send it anyway
            cards[-1].extend(_block(section, items[:n], continued))
            used += extra
            fresh = False
            items, continued = items[n:], True
    return cards


# --- sending ------------------------------------------------------------------------------


def post(
    url: str,
    markdown: str,
    reminder: Reminder,
    kind: str | None = None,
    *,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
) -> int:
    """Post the reminder to the webhook at ``url``; returns the number of messages sent.

    Raises FundwatchError (one line, naming the host only) when the URL is not an http(s)
    URL, the kind is unknown, or a message could not be delivered after the retries.
    """
    from fundwatch import net

    url = url.strip()
    net.check_url(url, "webhook URL")
    messages = payloads(kind_for(url, kind), markdown, reminder)
    if not messages:
        return 0

    import httpx

    sent = 0
    with net.client(timeout=timeout, retries=retries, backoff=backoff) as http:
        for body in messages:
            try:
                response = net.fetch(http, "POST", url, what="chat webhook",
                                     limit=net.REPLY_CAP, budget=timeout, json=body)  # fmt: skip
            except FundwatchError as error:
                raise _failed(error, sent, messages) from None
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                raise _failed(net.failure(exc, url, what="chat webhook"), sent, messages) from exc
            if not response.is_success:
                raise _failed(net.failure(response, url, what="chat webhook"), sent, messages)
            sent += 1
    return sent


def _failed(error: FundwatchError, sent: int, messages: Sequence[object]) -> FundwatchError:
    if not sent:
        return error
    return FundwatchError(f"{error.message} (after {sent} of {len(messages)} messages)", error.hint)
