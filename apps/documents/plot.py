"""An analyte's values over time as a small SVG drawn on the server (issue 26): the reference
range as a band, the values joined by a line, each value a dot (an abnormal one marked by
its shape as well as its colour), and a title saying the same in words. No script, nothing
fetched: the picture is text the page carries. Pure Python; the values a sender wrote are
parsed with a fixed, bounded reader, and every text put in the SVG is escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, PAD = 320, 110, 14
POINTS_MAX = 60  # the latest ones: a line of ten years of monthly results stays readable


@dataclass(frozen=True)
class Point:
    when: dt.datetime
    value: float
    abnormal: bool = False


def number(text: str) -> float | None:
    """A value as a report writes it ("13,2", "1.950", "0.5"), else None ("positif", "< 5"
    are not plotted: they say a side of a threshold, not a point)."""
    text = text.strip().replace(",", ".")[:32]
    if not text or text.count(".") > 1 or not text.replace(".", "", 1).lstrip("-").isdigit():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def analyte_svg(*, label: str, unit: str, points: Sequence[Point], low: float | None = None,
                high: float | None = None) -> str:
    """The SVG of ``points`` (oldest first), with the reference range when known."""
    shown = sorted(points, key=lambda p: p.when)[-POINTS_MAX:]
    if not shown:
        return ""
    values = [p.value for p in shown] + [v for v in (low, high) if v is not None]
    bottom, top = min(values), max(values)
    margin = (top - bottom) * 0.15 or abs(top) * 0.1 or 1.0
    bottom, top = bottom - margin, top + margin
    first, last = shown[0].when, shown[-1].when
    span = (last - first).total_seconds()

    def x(moment: dt.datetime) -> float:
        if span <= 0:
            return WIDTH / 2
        return PAD + (moment - first).total_seconds() / span * (WIDTH - 2 * PAD)

    def y(value: float) -> float:
        return HEIGHT - PAD - (value - bottom) / (top - bottom) * (HEIGHT - 2 * PAD)

    unit_text = f" {unit}" if unit else ""
    reference = ""
    if low is not None or high is not None:
        band_top, band_bottom = y(high if high is not None else top), y(low if low is not None else bottom)
        reference = (f'<rect class="reference" x="{PAD}" y="{band_top:.1f}" width="{WIDTH - 2 * PAD}" '
                     f'height="{max(0.5, band_bottom - band_top):.1f}"/>')
    line = " ".join(f"{x(p.when):.1f},{y(p.value):.1f}" for p in shown)
    def dot(p: Point) -> str:
        if p.abnormal:
            return (f'<rect class="value abnormal" x="{x(p.when) - 4:.1f}" y="{y(p.value) - 4:.1f}" '
                    'width="8" height="8"/>')
        return f'<circle class="value" cx="{x(p.when):.1f}" cy="{y(p.value):.1f}" r="3.5"/>'

    dots = "".join(dot(p) for p in shown)
    said = escape(f"{label} : {len(shown)} valeur(s) du {first:%d/%m/%Y} au {last:%d/%m/%Y}, "
                  f"dernière {shown[-1].value:g}{unit_text}"
                  + (f", normale {low:g} – {high:g}" if low is not None and high is not None else ""))
    return (f'<svg class="analyte-plot" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>{said}</title>{reference}'
            f'<polyline class="trend" points="{line}"/>{dots}</svg>')
