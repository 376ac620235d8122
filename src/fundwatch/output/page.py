"""The members' page of a published folder (`publish FOLDER` writes it as index.html).

Self-contained: one inline style sheet, no scripts, nothing fetched. Every value goes
through ``html.escape``; links only ever point at http(s) (or at the feed beside it).

The page is built from sections (``Section``: an id and its HTML), in order:
``sections()`` makes the default ones (the heading with the subscribe link, the
deadlines by month, the footer) and ``page()`` joins any list of them, so that another
section (a timeline picture, say) goes in with ``insert_section`` before "months".
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from fundwatch.domain.query import DeadlineRow
from fundwatch.domain.timeutil import Clock, human
from fundwatch.output.calendar import deadline_text

STYLE = """
body{margin:0;padding:16px;color:#1a1a1a;background:#fff;font:15px/1.45 Arial,Helvetica,sans-serif}
main{max-width:52rem;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:24px 0 6px;border-bottom:1px solid #ddd;padding-bottom:2px}
p.meta{color:#555;margin:0 0 12px;font-size:13px}
a{color:#0b57d0}
a.subscribe{display:inline-block;padding:6px 12px;border:1px solid #0b57d0;border-radius:4px;
text-decoration:none;margin:4px 8px 4px 0}
code{background:#f4f4f4;padding:1px 4px;word-break:break-all}
ul.deadlines{list-style:none;padding:0;margin:0}
ul.deadlines li{display:flex;gap:12px;padding:6px 0;border-bottom:1px solid #eee}
.when{flex:0 0 13rem;color:#333}
.what{flex:1}
.left{flex:0 0 6.5rem;text-align:right;white-space:nowrap}
.soon .left{color:#b3261e;font-weight:bold}
.near .left{color:#8a5a00}
.label{color:#555}
footer{margin-top:28px;color:#777;font-size:12px}
""".strip()


class Section(NamedTuple):
    """One part of the page: ``id`` names it (heading, months, footer...), ``html`` is
    its markup, escaped already."""

    id: str
    html: str


def _e(value: object) -> str:
    from fundwatch.output.tables import one_line

    return html.escape(one_line(str(value)), quote=True)


def days_text(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def feed_links(base_url: str | None) -> tuple[str, str]:
    """The feed's web address and its subscription address (webcal://), or the relative
    name when the folder's address is not known."""
    if not base_url:
        return "deadlines.ics", "deadlines.ics"
    web = base_url.rstrip("/") + "/deadlines.ics"
    return web, "webcal://" + web.split("://", 1)[1]


def sections(
    rows: Sequence[DeadlineRow], clock: Clock, title: str, base_url: str | None
) -> list[Section]:
    """The page's default sections: heading, months, footer."""
    from fundwatch.output.tables import web_url

    web, subscribe = feed_links(base_url)
    head = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">Each deadline in its own time zone; days left as of '
        f"{_e(human(clock.today))} ({_e(clock.tz_name)}).</p>",
        f'<p><a class="subscribe" href="{_e(subscribe)}">Subscribe to the calendar</a>'
        f'<a href="{_e(web)}">deadlines.ics</a> · <a href="deadlines.json">deadlines.json</a></p>',
    ]
    if base_url:
        head.append(
            f'<p class="meta">Calendar address to paste into Google Calendar or Outlook '
            f"(“From URL”, “Subscribe from web”): <code>{_e(web)}</code></p>"
        )
    months: list[str] = []
    month: date | None = None
    for row in rows:
        local = row.deadline.local  # the month of the date shown
        day = local.date() if isinstance(local, datetime) else local
        first = day.replace(day=1)
        if first != month:
            if month is not None:
                months.append("</ul>")
            months.append(f"<h2>{_e(f'{first:%B %Y}')}</h2>")
            months.append('<ul class="deadlines">')
            month = first
        when = deadline_text(row.deadline)  # in its own zone: "17:00 Brussels time"
        url = web_url(row.call.url)
        name = _e(row.call.title)
        name = f'<a href="{_e(url)}">{name}</a>' if url else name
        label = (
            f' <span class="label">({_e(row.deadline.label)})</span>' if row.deadline.label else ""
        )
        urgency = "soon" if row.days_left <= 3 else "near" if row.days_left <= 14 else ""
        cls = f' class="{urgency}"' if urgency else ""
        months.append(
            f'<li{cls}><span class="when">{_e(when)}</span>'
            f'<span class="what">{name}{label}</span>'
            f'<span class="left">{_e(days_text(row.days_left))}</span></li>'
        )
    if month is not None:
        months.append("</ul>")
    else:
        months.append("<p>No deadline in the next twelve months.</p>")
    from fundwatch import __version__

    foot = f"<footer>Published by fundwatch {_e(__version__)}.</footer>"
    return [
        Section("heading", "\n".join(head)),
        Section("months", "\n".join(months)),
        Section("footer", foot),
    ]


def insert_section(parts: list[Section], section: Section, before: str = "months") -> None:
    """Put ``section`` before the one named ``before`` (at the end if there is none)."""
    for i, part in enumerate(parts):
        if part.id == before:
            parts.insert(i, section)
            return
    parts.append(section)


def page(parts: Sequence[Section], title: str) -> str:
    """The page from its sections, each in a <section id=...>."""
    body = "\n".join(f'<section id="{_e(s.id)}">\n{s.html}\n</section>' for s in parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # an empty icon of its own: browsers ask for /favicon.ico otherwise
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(title)}</title>\n<style>\n{STYLE}\n</style></head>\n"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )
