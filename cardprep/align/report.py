"""The align QA report: report.csv (Contract 2) and report.html, a page that opens from disk.

The page lists flagged and failed pairs first, each row with A, aligned B and their overlay
as images beside the numbers, so a look at the top of the page is the whole review.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from cardprep.align.result import COLUMNS, AlignResult, Status, tally
from cardprep.common.atomic import atomic_write_text

REPORT = "report.csv"
_ORDER = {Status.FAILED: 0, Status.FLAGGED: 1, Status.OK: 2}


def write_report(out: Path, results: Sequence[AlignResult]) -> None:
    """OUT/report.csv and OUT/report.html, each written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(r.row() for r in results)
    atomic_write_text(out / REPORT, buffer.getvalue())
    others = {r.pair for r in results if (out / "other" / f"{r.pair}.jpg").is_file()}
    atomic_write_text(out / "report.html", render_html(results, others))


def render_html(results: Sequence[AlignResult], others: set[str] = frozenset()) -> str:
    """The page; ``others``: pairs whose B is also pictured the other way round (other/)."""
    ordered = sorted(results, key=lambda r: (_ORDER[r.status], r.pair))
    body = "\n".join(_row_html(r, r.pair in others) for r in ordered)
    summary = tally(results)
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
and half with A's card outline in green: a good pair shows single, sharp edges. Where the pips
could not tell which way B's card lay, B is also shown the other way round: if that one is
right, run align again with <code>--turn PAIR</code> (or <code>--keep PAIR</code> to confirm).</p>
<table>
<tr><th>pair</th><th>status</th><th>A</th><th>B aligned</th><th>overlay</th><th>B the other way round</th>
<th>numbers</th></tr>
{body}
</table></body></html>
"""


def image_link(folder: str, stem: str, ext: str) -> str:
    """The relative URL of an output image: the stem URL-encoded (a # or ? in a file name would
    otherwise end the path), then HTML-escaped for the attribute."""
    return html.escape(f"{folder}/{quote(stem + ext)}")


def _row_html(result: AlignResult, has_other: bool) -> str:
    row = result.row()
    stem = html.escape(result.pair)
    written = result.status is not Status.FAILED
    shown = (("A", ".png", written), ("B", ".png", written), ("overlays", ".jpg", written), ("other", ".jpg", has_other))
    pictures = "".join(
        f'<td><a href="{image_link(folder, result.pair, ext)}"><img src="{image_link(folder, result.pair, ext)}" '
        f'alt="{folder} {stem}"></a></td>' if present else "<td></td>" for folder, ext, present in shown)
    numbers = (f"rank {html.escape(row['rank'] or '-')} / {html.escape(row['rank_b'] or '-')}<br>"
               f"orientation {row['orientation']} ({html.escape(row['orientation_source'] or '-')}, "
               f"confidence {row['orientation_confidence'] or '-'})<br>ECC score {row['score'] or '-'}<br>"
               f"residual {row['residual_px'] or '-'} px<br>{row['seconds'] or '-'} s")
    reason = f"<br>{html.escape(result.reason)}" if result.reason else ""
    return (f'<tr class="{row["status"]}"><td>{stem}</td><td><span class="status">{row["status"]}</span>{reason}</td>'
            f"{pictures}<td>{numbers}</td></tr>")
