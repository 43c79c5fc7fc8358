"""The align QA report: report.csv (Contract 2) and report.html, a page that opens from disk.

The page lists flagged and failed pairs first, each row with A, aligned B and their overlay
as images beside the numbers, so a look at the top of the page is the whole review.
"""

from __future__ import annotations

import csv
import html
import io
import math
from pathlib import Path

from cardprep.align.pipeline import AlignResult
from cardprep.common.atomic import atomic_write_text
from cardprep.geometry import format_floats

COLUMNS = ("pair", "status", "reason", "homography", "orientation", "score", "rank", "rank_b", "residual_px",
           "seconds", "a_file", "b_file")
_ORDER = {"failed": 0, "flagged": 1, "ok": 2}


def report_rows(results: list[AlignResult]) -> list[dict[str, str]]:
    return [{
        "pair": r.pair,
        "status": r.status,
        "reason": r.reason,
        "homography": "" if r.homography is None else format_floats(r.homography),
        "orientation": str(r.orientation),
        "score": _number(r.score, 4),
        "rank": r.rank,
        "rank_b": r.rank_b,
        "residual_px": _number(r.residual_px, 3),
        "seconds": _number(r.seconds, 2),
        "a_file": r.a_file,
        "b_file": r.b_file,
    } for r in results]


def write_report(out: Path, results: list[AlignResult]) -> None:
    rows = report_rows(results)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "report.csv", buffer.getvalue())
    atomic_write_text(out / "report.html", render_html(rows))


def render_html(rows: list[dict[str, str]]) -> str:
    ordered = sorted(rows, key=lambda r: (_ORDER[r["status"]], r["pair"]))
    counts = {s: sum(r["status"] == s for r in rows) for s in _ORDER}
    body = "\n".join(_row_html(r) for r in ordered)
    summary = f"{len(rows)} pairs: {counts['ok']} ok, {counts['flagged']} flagged, {counts['failed']} failed"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cardprep align report</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: left; vertical-align: top; }}
img {{ width: 180px; height: auto; display: block; }}
.failed {{ background: #fde8e8; }} .flagged {{ background: #fff6db; }}
.status {{ font-weight: bold; text-transform: uppercase; }}
</style></head><body>
<h1>cardprep align report</h1>
<p>{html.escape(summary)}. Flagged and failed pairs first. The overlay blends A and aligned B half
and half with A's card outline in green: a good pair shows single, sharp edges.</p>
<table>
<tr><th>pair</th><th>status</th><th>A</th><th>B aligned</th><th>overlay</th><th>numbers</th></tr>
{body}
</table></body></html>
"""


def _row_html(row: dict[str, str]) -> str:
    stem = html.escape(row["pair"])
    written = row["status"] != "failed"
    pictures = "".join(
        f'<td><a href="{folder}/{stem}{ext}"><img src="{folder}/{stem}{ext}" alt="{folder} {stem}"></a></td>'
        if written else "<td></td>" for folder, ext in (("A", ".png"), ("B", ".png"), ("overlays", ".jpg")))
    numbers = (f"rank {html.escape(row['rank'] or '-')} / {html.escape(row['rank_b'] or '-')}<br>"
               f"orientation {row['orientation']}<br>ECC score {row['score'] or '-'}<br>"
               f"residual {row['residual_px'] or '-'} px<br>{row['seconds'] or '-'} s")
    reason = f"<br>{html.escape(row['reason'])}" if row["reason"] else ""
    return (f'<tr class="{row["status"]}"><td>{stem}</td><td><span class="status">{row["status"]}</span>{reason}</td>'
            f"{pictures}<td>{numbers}</td></tr>")


def _number(value: float, digits: int) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.{digits}f}"
