"""Server-rendered inline SVG bar charts (no JavaScript, no external assets).

Colours come from CSS classes (``seg-ontime``, ``seg-late``, ...) in the app's stylesheet, so the
markup carries no inline styles and works under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Segment:
    value: float
    css: str  # class name, e.g. seg-late
    title: str  # tooltip


@dataclass(frozen=True)
class Bar:
    label: str
    segments: Sequence[Segment]
    href: str | None = None
    note: str = ""  # text after the bar, e.g. "12 / 30"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    bars: Sequence[Bar],
    *,
    width: int = 640,
    label_width: int = 130,
    note_width: int = 90,
    bar_height: int = 18,
    gap: int = 6,
    title: str = "",
    normalise: bool = False,
) -> Markup:
    """Horizontal (stacked) bars; ``normalise`` scales every bar to full width (shares)."""
    if not bars:
        return Markup('<p class="muted">暂无数据</p>')
    plot = width - label_width - note_width
    top = max((sum(s.value for s in b.segments) for b in bars), default=0) or 1
    height = len(bars) * (bar_height + gap) + gap
    out = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for i, bar in enumerate(bars):
        y = gap + i * (bar_height + gap)
        total = sum(s.value for s in bar.segments)
        scale = plot / (total if normalise and total else top)
        fit = max(int(label_width / 12.5), 4)
        label = escape(bar.label if len(bar.label) <= fit else bar.label[: fit - 1] + "…")
        text = (
            f'<text class="chart-label" x="{label_width - 6}" y="{y + bar_height * 0.72:.1f}" '
            f'text-anchor="end">{label}<title>{escape(bar.label)}</title></text>'
        )
        out.append(f'<a href="{escape(bar.href)}">{text}</a>' if bar.href else text)
        out.append(f'<rect class="chart-track" x="{label_width}" y="{y}" width="{plot}" height="{bar_height}"/>')
        x = float(label_width)
        for seg in bar.segments:
            if seg.value <= 0:
                continue
            w = seg.value * scale
            out.append(
                f'<rect class="{escape(seg.css)}" x="{_num(x)}" y="{y}" width="{_num(max(w, 1))}" '
                f'height="{bar_height}"><title>{escape(seg.title)}</title></rect>'
            )
            x += w
        if bar.note:
            out.append(
                f'<text class="chart-note" x="{label_width + plot + 6}" y="{y + bar_height * 0.72:.1f}">'
                f"{escape(bar.note)}</text>"
            )
    out.append("</svg>")
    return Markup("".join(out))
