"""The reminder (remind.Reminder) as text, Markdown, HTML, JSON or CSV.

Each format escapes for where it goes: Markdown cells cannot break their table,
HTML values go through html.escape and links only ever point at http(s), CSV cells
cannot run as formulas, JSON is json.dumps'. Nothing here imports rich.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fundwatch.domain.discovery import Found
from fundwatch.domain.query import DeadlineRow
from fundwatch.domain.reminder import Opening, Reminder
from fundwatch.domain.timeutil import Clock, human, iso
from fundwatch.output.presentation import REMIND_CSV, urgency
from fundwatch.output.tables import (
    Grid,
    days_text,
    html_text,
    md_escape,
    one_line,
    to_csv,
    to_json,
    to_markdown,
    to_text,
    upcoming_record,
    web_url,
    when_text,
    zone_caption,
)

FORMATS = ("text", "markdown", "html", "json", "csv")
DEADLINE_HEADERS = ["Deadline", "Left", "Call", "Stage", "Programme", "Identifier", "Link"]
OPENING_HEADERS = ["Opens", "In", "Call", "Programme", "Identifier", "Link"]
NEW_TITLE = "New on the portal"
NEW_HEADERS = ["Next deadline", "Left", "Topic", "Status", "Identifier", "Search", "Link"]


def render(reminder: Reminder, fmt: str) -> str:
    renderers: dict[str, Callable[[Reminder], str]] = {
        "text": text,
        "markdown": markdown,
        "html": page,
        "json": json_report,
        "csv": csv_report,
    }
    return renderers[fmt](reminder)


def headline(r: Reminder) -> str:
    due = len(r.today) + sum(len(w.rows) for w in r.weeks)
    parts = [f"{due} due within {r.within}"]
    if r.today:
        parts.append(f"{len(r.today)} today")
    if r.opening:
        parts.append(f"{len(r.opening)} call{'s' * (len(r.opening) != 1)} opening")
    if r.new_topics:
        parts.append(f"{len(r.new_topics)} new on the portal")
    return "Funding deadlines: " + ", ".join(parts)


def sections(r: Reminder) -> list[tuple[str, Grid]]:
    """Each section's title and its table, in the order they are shown."""
    out = []
    if r.today:
        out.append(("Due today", _deadline_grid(r.today, r)))
    for week in r.weeks:
        out.append((week.title, _deadline_grid(week.rows, r)))
    if r.opening:
        out.append((f"Opening within {r.within}", _opening_grid(r.opening)))
    if r.new_topics:
        out.append((NEW_TITLE, new_grid(r)))
    return out


def new_grid(r: Reminder) -> Grid:
    """The topics saved searches found new: the deadline, the topic (linked), its status
    (and kind, unless a grant topic), the search that found it."""
    grid = Grid(
        list(NEW_HEADERS),
        right=frozenset({1}),
        link_column=2,
        keep=frozenset({0, 1}),
        squeeze=frozenset({5}),
    )
    for f in r.new_topics:
        nxt = f.next_deadline(r.clock)
        days = nxt.days_left(r.clock) if nxt else None
        status = f.status(r.clock) + (f", {f.kind}" if f.kind != "topic" else "")
        grid.add(
            [when_text(nxt, r.clock) if nxt else "", days_text(days), f.title or f.identifier,
             status, f.identifier, f.search, f.url or ""],
            days,
            f.url,
        )  # fmt: skip
    return grid


def new_record(f: Found, clock: Clock) -> dict[str, Any]:
    """One topic of ``new_topics`` in the JSON reminder."""
    nxt = f.next_deadline(clock)
    return {
        "search": f.search,
        "identifier": f.identifier,
        "title": f.title,
        "kind": f.kind,
        "status": f.status(clock),
        "opens": iso(f.opens),
        "next_deadline": iso(nxt.local) if nxt else None,
        "url": f.url,
    }


def _deadline_grid(rows: list[DeadlineRow], r: Reminder) -> Grid:
    grid = Grid(
        list(DEADLINE_HEADERS),
        right=frozenset({1}),
        link_column=2,
        keep=frozenset({0, 1}),
        squeeze=frozenset({4}),
    )
    for row in rows:
        c, d = row.call, row.deadline
        grid.add(
            [when_text(d, r.clock), days_text(row.days_left), c.title, d.label or "",
             c.programme or "", c.identifier or "", c.url or ""],
            row.days_left,
            c.url,
        )  # fmt: skip
    return grid


def _opening_grid(openings: list[Opening]) -> Grid:
    grid = Grid(
        list(OPENING_HEADERS),
        right=frozenset({1}),
        link_column=2,
        keep=frozenset({0, 1}),
        squeeze=frozenset({3}),
    )
    for o in openings:
        c = o.call
        grid.add(
            [human(o.opens), days_text(o.days), c.title, c.programme or "", c.identifier or "",
             c.url or ""],
            None,
            c.url,
        )  # fmt: skip
    return grid


def changes_title(r: Reminder) -> str:
    """``Changed at the last portal sync (...)`` when every change shown is the last
    sync's, else ``Changed at portal syncs since ...`` (kept from earlier syncs)."""
    earliest = min((c.seen for c in r.changes if c.seen is not None), default=r.synced_at)
    if earliest is not None and earliest != r.synced_at:
        return f"Changed at portal syncs since {human(earliest.astimezone(r.clock.tz))}"
    when = f" ({human(r.synced_at.astimezone(r.clock.tz))})" if r.synced_at else ""
    return f"Changed at the last portal sync{when}"


def change_lines(r: Reminder) -> list[str]:
    """``- <call id>: <what changed>``, one printable line each (the text is the portal's)."""
    return [f"- {one_line(c.call_id)}: {one_line(c.text)}" for c in r.changes]


# --- text and Markdown ---------------------------------------------------------------------


def text(r: Reminder) -> str:
    """Aligned plain text for a terminal mail reader."""
    parts = [headline(r), zone_caption(r.clock), ""]
    for title, grid in sections(r):
        # programme and link on a line of their own under each row
        long = frozenset(i for i, h in enumerate(grid.headers) if h in ("Programme", "Link"))
        parts += [title, to_text(grid, long)]
    if r.changes:
        parts.append(changes_title(r))
        parts += change_lines(r)
        parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


def markdown(r: Reminder) -> str:
    """Headings and tables that GitHub, Mattermost, Rocket.Chat and Teams render."""
    parts = [f"**{md_escape(headline(r))}**", "", md_escape(zone_caption(r.clock)), ""]
    for title, grid in sections(r):
        # the link column is dropped: the call's title links to it
        grid.headers.pop()
        for row in grid.rows:
            row.pop()
        parts += [f"**{md_escape(title)}**", "", to_markdown(grid)]
    if r.changes:
        parts += [f"**{md_escape(changes_title(r))}**", ""]
        parts += [f"- {md_escape(c.call_id)}: {md_escape(c.text)}" for c in r.changes]
        parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


WORD_JOINER = "\u2060"


def no_mentions(text: str, markdown: bool = False) -> str:
    """Every ``@`` followed by a word joiner (U+2060, invisible): no chat (Slack,
    Mattermost, Rocket.Chat, Discord, Teams) then reads ``@channel``, ``@all`` or
    ``@here`` as a mention, not even after unescaping ``\\@`` (Mattermost does)."""
    if markdown:
        text = text.replace("\\@", "@")  # the joiner does what the backslash did not
    return text.replace("@", "@" + WORD_JOINER)


def chat(r: Reminder, kind: str) -> str:
    """The message for a chat: Markdown tables where the chat renders them
    (Mattermost, Teams' text); aligned text in a code block where it does not (Slack,
    Rocket.Chat; Discord's blocks are added per message by webhook.payloads). No ``@``
    in it can form a mention (``no_mentions``)."""
    if kind == "discord":
        return no_mentions(text(r).replace("`", "'"))
    if kind == "slack":
        # Slack reads <...> as links and mentions even in code blocks
        plain = text(r).replace("`", "'").replace("&", "&amp;").replace("<", "&lt;")
        return "```\n" + no_mentions(plain.replace(">", "&gt;")) + "```"
    if kind == "rocketchat":
        return "```\n" + no_mentions(text(r).replace("`", "'")) + "```"
    # Markdown escapes "@" as "\@", which Mattermost unescapes before it looks for mentions
    return no_mentions(markdown(r), markdown=True)


# --- HTML for e-mail ----------------------------------------------------------------------

_FONT = "font-family:Arial,Helvetica,sans-serif"
_CELL = "padding:6px 8px;border-bottom:1px solid #e0e0e0;text-align:left;vertical-align:top"
_URGENT = {"urgent": "background:#fde2e1", "soon": "background:#fff4d6"}


_e = html_text


def _link(label: str, url: str | None) -> str:
    safe = web_url(url)
    if safe:
        return f'<a href="{_e(safe)}" style="color:#0b57d0">{_e(label)}</a>'
    return _e(label)


def _html_table(grid: Grid) -> str:
    """A table whose Link column becomes the link of the Call column."""
    link_at = grid.headers.index("Link")
    shown = [i for i in range(len(grid.headers)) if i != link_at]
    head = "\n".join(
        f'<th style="{_CELL};background:#f2f2f2;font-weight:bold">{_e(grid.headers[i])}</th>'
        for i in shown
    )
    body = []
    for row, days, url in zip(grid.rows, grid.days_left, grid.links, strict=True):
        cells = []
        for i in shown:
            value = row[i].replace("\n", " ")
            content = _link(value, url) if i == grid.link_column else _e(value)
            style = _CELL.replace("text-align:left", "text-align:right;white-space:nowrap")
            cells.append(f'<td style="{style if i in grid.right else _CELL}">{content}</td>')
        style = _URGENT.get(urgency(days), "")
        body.append((f'<tr style="{style}">' if style else "<tr>") + "\n".join(cells) + "</tr>")
    return (
        '<table cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;width:100%;font-size:14px;{_FONT}">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{chr(10).join(body)}\n</tbody></table>"
    )


def page(r: Reminder) -> str:
    """One self-contained page: inline styles, no scripts, nothing fetched."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(headline(r))}</title></head>",
        f'<body style="margin:0;padding:16px;color:#1a1a1a;background:#ffffff;{_FONT}">',
        f'<h1 style="font-size:20px;margin:0 0 4px">{_e(headline(r))}</h1>',
        f'<p style="color:#555555;margin:0 0 16px;font-size:13px">{_e(zone_caption(r.clock))}</p>',
    ]
    if r.due or r.opening:  # the window as a picture, in table cells (mail drops SVG)
        from fundwatch.output import timeline

        out.append(timeline.mail_table(timeline.of_reminder(r)))
    for title, grid in sections(r):
        out.append(f'<h2 style="font-size:16px;margin:20px 0 8px">{_e(title)}</h2>')
        out.append(_html_table(grid))
    if r.changes:
        out.append(f'<h2 style="font-size:16px;margin:20px 0 8px">{_e(changes_title(r))}</h2>')
        items = "".join(f"<li>{_e(c.call_id)}: {_e(c.text)}</li>" for c in r.changes)
        out.append(f'<ul style="font-size:14px">{items}</ul>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# --- JSON and CSV ---------------------------------------------------------------------------


def _row(row: DeadlineRow, r: Reminder) -> dict[str, Any]:
    return upcoming_record(row) | {"local": iso(row.deadline.viewed(r.clock))}


def json_report(r: Reminder) -> str:
    return to_json(
        {
            "as_of": iso(r.clock.now),
            "timezone": r.clock.tz_name,
            "within": str(r.within),
            "due_today": [_row(x, r) for x in r.today],
            "due": [
                {"week": w.title, "iso_week": w.iso, "deadlines": [_row(x, r) for x in w.rows]}
                for w in r.weeks
            ],
            "opening": [
                {
                    "call_id": o.call.id,
                    "title": o.call.title,
                    "programme": o.call.programme,
                    "identifier": o.call.identifier,
                    "url": o.call.url,
                    "opens": o.opens.isoformat(),
                    "days_left": o.days,
                }
                for o in r.opening
            ],
            "changes": {
                "synced_at": iso(r.synced_at),
                "items": [
                    {"call_id": c.call_id, "text": c.text, "seen": iso(c.seen)} for c in r.changes
                ],
            },
            "new_topics": [new_record(f, r.clock) for f in r.new_topics],
        }
    )


def csv_report(r: Reminder) -> str:
    rows: list[list[Any]] = []

    def deadline_rows(section: str, week: str, items: list[DeadlineRow]) -> None:
        for x in items:
            rec = upcoming_record(x)
            rows.append([section, week, rec["call_id"], rec["title"], rec["programme"],
                         rec["identifier"], rec["url"], rec["at"], rec["label"],
                         rec["all_day"], rec["days_left"], None])  # fmt: skip

    deadline_rows("today", "", r.today)
    for w in r.weeks:
        deadline_rows("due", w.iso, w.rows)
    for o in r.opening:
        c = o.call
        rows.append(["opening", "", c.id, c.title, c.programme, c.identifier, c.url,
                     o.opens.isoformat(), None, True, o.days, None])  # fmt: skip
    for ch in r.changes:
        rows.append(["changed", "", ch.call_id, None, None, None, None, None, None, None, None,
                     ch.text])  # fmt: skip
    for f in r.new_topics:
        rec = new_record(f, r.clock)
        nxt = f.next_deadline(r.clock)
        rows.append(["new", "", None, f.title, f.programme, f.identifier, f.url,
                     rec["next_deadline"], nxt.label if nxt else None, False,
                     nxt.days_left(r.clock) if nxt else None,
                     f"new for '{f.search}' ({f.kind}, {rec['status']})"])  # fmt: skip
    return to_csv(REMIND_CSV, rows)
