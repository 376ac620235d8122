"""The timeline as a real browser lays it out: headless Chromium (the Debian package
`chromium`) renders `timeline --format html` and the HTML reminder; the rows must
stand in deadline order, top to bottom, each visible.

The pages themselves carry no script: the test appends one to its own copy, which
writes each row's laid-out box into the DOM that --dump-dom prints.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed (apt-get install chromium) at /usr/bin/chromium",
)

MEASURE = """<script>
for (const el of document.querySelectorAll('[data-call]')) {
  const box = el.getBoundingClientRect();
  el.setAttribute('data-top', Math.round(box.top));
  el.setAttribute('data-height', Math.round(box.height));
  el.setAttribute('data-width', Math.round(box.width));
}
</script>"""


def chromium(tmp_path: Path, page: str, *flags: str) -> str:
    profile = tmp_path / "chromium-profile"
    proc = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--hide-scrollbars", "--window-size=1000,800",
         f"--user-data-dir={profile}", *flags, page],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def laid_out(tmp_path: Path, html: str, name: str) -> list[tuple[str, int, int, int]]:
    """Each [data-call] element of the page: (call id, top, height, width) as drawn."""
    page = tmp_path / name
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    found = []
    for tag in re.findall(r"<(?:g|tr) [^>]*data-call=[^>]*>", dom):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        found.append(
            (attrs["data-call"], int(attrs["data-top"]), int(attrs["data-height"]),
             int(attrs["data-width"]))
        )  # fmt: skip
    return found


def test_timeline_page_rows_in_deadline_order(fw, sample, tmp_path):
    r = fw("timeline", "--as-of", "2025-10-08", "--from", "2025-09-01", "--format", "html")
    assert r.code == 0
    rows = laid_out(tmp_path, r.out, "timeline.html")
    ids = [row[0] for row in rows]
    assert ids == ["ssri-02-uptake-services", "ssri-04-open-proposals", "eic-ukrainian-tech",
                   "eie-investment-ecosystems", "eic-accelerator-2026"]  # fmt: skip
    tops = [row[1] for row in rows]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)  # top to bottom, apart
    assert all(height >= 20 and width >= 300 for _, _, height, width in rows)
    # and it draws: a screenshot with something on it
    shot = tmp_path / "timeline.png"
    chromium(tmp_path, (tmp_path / "timeline.html").as_uri(), f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000


def test_html_reminder_timeline_rows_in_deadline_order(fw, sample, tmp_path):
    r = fw("remind", "--as-of", "2025-11-03", "--within", "60d", "--format", "html")
    assert r.code == 0
    rows = laid_out(tmp_path, r.out, "remind.html")
    assert [row[0] for row in rows] == [
        "ssri-02-uptake-services", "ssri-04-open-proposals", "eic-ukrainian-tech",
    ]  # fmt: skip
    tops = [row[1] for row in rows]
    assert tops == sorted(tops) and len(set(tops)) == 3
    assert all(height >= 14 and width >= 300 for _, _, height, width in rows)


OVERLAP = """<script>
for (const g of document.querySelectorAll('g[data-call]')) {
  const id = g.querySelector('text').getBoundingClientRect();
  const bar = g.querySelector('rect[rx="4"]').getBoundingClientRect();
  g.setAttribute('data-gap', Math.floor(bar.left - id.right));
}
</script>"""


def test_a_long_id_stays_left_of_the_bars(fw, watchlist, tmp_path):
    long_id = "a-call-id-much-longer-than-half-of-the-picture-" * 2 + "2025"
    watchlist.write_text(
        f'version = 1\n[[calls]]\nid = "{long_id}"\ntitle = "T"\ndeadline = 2025-11-12\n'
        '[[calls]]\nid = "short"\ntitle = "T"\ndeadline = 2025-11-20\n',
        encoding="utf-8",
    )
    r = fw("timeline", "--as-of", "2025-10-08", "--from", "2025-09-01", "--format", "html")
    page = tmp_path / "long.html"
    page.write_text(r.out.replace("</body>", OVERLAP + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    gaps = [int(g) for g in re.findall(r'data-gap="(-?\d+)"', dom)]
    assert len(gaps) == 2 and min(gaps) > 0, gaps  # the id never runs into the picture


NAMES = """<script>
const names = [...document.querySelectorAll('svg > text[font-weight="bold"][y="32"]')]
  .map(t => [t.textContent, t.getBoundingClientRect()]);
const gaps = names.slice(1).map((n, i) => Math.floor(n[1].left - names[i][1].right));
document.body.setAttribute('data-names', names.map(n => n[0]).join('|'));
document.body.setAttribute('data-gaps', gaps.join(','));
</script>"""


def test_month_names_stand_apart(fw, sample, tmp_path):
    # from 15 Sep, "Sep 2025" has half a month: it ran into "Oct"
    r = fw("timeline", "--as-of", "2025-10-08", "--from", "2025-09-15", "--format", "html")
    page = tmp_path / "names.html"
    page.write_text(r.out.replace("</body>", NAMES + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom")
    names = re.search(r'data-names="([^"]*)"', dom)
    gaps = re.search(r'data-gaps="([^"]*)"', dom)
    assert names and gaps
    assert names.group(1).split("|")[1:3] == ["Oct", "Nov"]
    assert min(int(g) for g in gaps.group(1).split(",")) >= 6, (names.group(1), gaps.group(1))
