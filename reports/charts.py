"""Charts as server-side SVG: bars (upright and lying), and a simple line. No JavaScript.

Every chart is an `<svg role="img">` with an `aria-label` and a `<title>`; the page puts a table with
the same numbers next to it, so nobody depends on the picture. Colours come as presentation
attributes (the dashboard's Content-Security-Policy forbids inline styles) and pass AA contrast on
white. The viewBox is narrow (360 units) so the text stays readable on a 375 px phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 360
BAR = "#0b5394"
MARKER = "#a4161a"
INK = "#1a1a1a"
GRID = "#767676"
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None = suppressed or not shown: no bar), and the text written at it."""

    label: str
    value: float | None
    text: str


def _open(title: str, height: int, chart_id: str) -> list[str]:
    safe = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{safe}" aria-labelledby="{chart_id}-title" id="{chart_id}" class="chart" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{safe}</title>',
    ]


#: Roughly how wide one character of the charts' 13-unit font is.
CHAR_WIDTH = 7.5


def _room_for_rotated(labels: Sequence[Bar], count: int, spare: float) -> float:
    """Return the left margin that keeps the first label, rotated by 45 degrees and ending at its bar, inside.

    Without it the first month of a year's chart lost its name ("26" instead of "Nov 26").
    """
    longest = len(labels[0].label) if labels else 0
    reach = longest * CHAR_WIDTH * 0.71  # the label's horizontal extent at 45 degrees
    half_slot = (WIDTH - spare) / max(count, 1) / 2
    return max(4.0, reach - half_slot + 4)


def _scale(values: Sequence[float | None], reference: float | None = None) -> float:
    top = max([v for v in values if v is not None] + [reference or 0, 0])
    return top if top > 0 else 1.0


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    chart_id: str,
    marker_after: int | None = None,
    marker_label: str = "",
) -> str:
    """Return upright bars (months, buckets); an optional dashed line after bar `marker_after` (0-based)."""
    height, top, bottom = 210, 22, 50
    plot = height - top - bottom
    small = len(bars) > 6 or max((len(b.label) for b in bars), default=0) * len(bars) > 42
    left = _room_for_rotated(bars, len(bars), 8) if small else 4
    slot = (WIDTH - 4 - left) / max(len(bars), 1)
    width = max(slot * 0.7, 2)
    scale = _scale([b.value for b in bars])
    parts = _open(title, height, chart_id)
    parts.append(f'<line x1="4" y1="{top + plot}" x2="{WIDTH - 4}" y2="{top + plot}" stroke="{GRID}"/>')
    for index, bar in enumerate(bars):
        x = left + index * slot + (slot - width) / 2
        centre = x + width / 2
        h = 0.0 if bar.value is None else plot * bar.value / scale
        y = top + plot - h
        parts.append(f'<g><title>{escape(bar.label)}: {escape(bar.text)}</title>')
        if h > 0:
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        parts.append(f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{INK}" {FONT}>'
                     f'{escape(bar.text)}</text>')
        if small:  # rotate the labels so twelve months (or long buckets) fit on a phone
            label_y = top + plot + 12
            parts.append(f'<text x="{centre:.1f}" y="{label_y}" text-anchor="end" fill="{INK}" {FONT} '
                         f'transform="rotate(-45 {centre:.1f} {label_y})">{escape(bar.label)}</text>')
        else:
            parts.append(f'<text x="{centre:.1f}" y="{top + plot + 16}" text-anchor="middle" fill="{INK}" '
                         f'{FONT}>{escape(bar.label)}</text>')
        parts.append("</g>")
    if marker_after is not None and 0 <= marker_after < len(bars):
        mx = left + (marker_after + 1) * slot
        parts.append(f'<line x1="{mx:.1f}" y1="{top - 8}" x2="{mx:.1f}" y2="{top + plot}" stroke="{MARKER}" '
                     f'stroke-width="2" stroke-dasharray="5 3"/>')
        parts.append(f'<text x="{mx + 4:.1f}" y="{top - 10}" fill="{MARKER}" {FONT} font-weight="600">'
                     f'{escape(marker_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(bars: Sequence[Bar], *, title: str, chart_id: str) -> str:
    """Return lying bars, one per line (municipalities, reasons): long labels fit on a phone."""
    row, label_width, text_room = 24, 130, 44
    height = max(len(bars), 1) * row + 8
    room = WIDTH - label_width - text_room
    scale = _scale([b.value for b in bars])
    parts = _open(title, height, chart_id)
    for index, bar in enumerate(bars):
        y = 4 + index * row
        w = 0.0 if bar.value is None else room * bar.value / scale
        label = bar.label if len(bar.label) <= 20 else bar.label[:19] + "…"
        parts.append(f'<g><title>{escape(bar.label)}: {escape(bar.text)}</title>')
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" fill="{INK}" {FONT}>'
                     f'{escape(label)}</text>')
        if w > 0:
            parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + w + 4:.1f}" y="{y + 15}" fill="{INK}" {FONT}>{escape(bar.text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: Sequence[Bar],
    *,
    title: str,
    chart_id: str,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Return a line through the points (None breaks the line), with an optional dashed reference level."""
    height, top, bottom = 210, 22, 50
    plot = height - top - bottom
    small = len(points) > 8
    left = _room_for_rotated(points, len(points), 16) if small else 8
    slot = (WIDTH - 8 - left) / max(len(points), 1)
    scale = _scale([p.value for p in points], reference) * 1.1
    parts = _open(title, height, chart_id)
    parts.append(f'<line x1="4" y1="{top + plot}" x2="{WIDTH - 4}" y2="{top + plot}" stroke="{GRID}"/>')
    if reference is not None:
        ry = top + plot - plot * reference / scale
        parts.append(f'<line x1="4" y1="{ry:.1f}" x2="{WIDTH - 4}" y2="{ry:.1f}" stroke="{MARKER}" '
                     f'stroke-width="2" stroke-dasharray="5 3"/>')
        parts.append(f'<text x="{WIDTH - 6}" y="{ry - 5:.1f}" text-anchor="end" fill="{MARKER}" {FONT} '
                     f'font-weight="600">{escape(reference_label)}</text>')
    segments: list[list[str]] = [[]]
    for index, point in enumerate(points):
        x = left + index * slot + slot / 2
        label_y = top + plot + 12 if small else top + plot + 16
        rotate = f' text-anchor="end" transform="rotate(-45 {x:.1f} {label_y})"' if small else ' text-anchor="middle"'
        parts.append(f'<text x="{x:.1f}" y="{label_y}"{rotate} fill="{INK}" {FONT}>{escape(point.label)}</text>')
        if point.value is None:
            segments.append([])
            continue
        y = top + plot - plot * point.value / scale
        segments[-1].append(f"{x:.1f},{y:.1f}")
        parts.append(f'<g><title>{escape(point.label)}: {escape(point.text)}</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/></g>')
    for segment in segments:
        if len(segment) > 1:
            parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)
