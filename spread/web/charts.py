"""Small server-rendered SVG charts: no JavaScript, nothing from a CDN.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>``, followed by a visually hidden table with the same numbers for screen readers and
for anyone who wants the exact figures. All text is escaped here; callers pass plain strings
(translated already) and get :class:`markupsafe.Markup` back.

- :func:`bar_chart` draws horizontal bars, one per ``(label, value)`` item, in the given order
  (a funnel is a bar chart of stages).
- :func:`histogram` bins raw values and draws vertical columns.
"""
from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from itertools import pairwise

from markupsafe import Markup, escape

FILL = "#0b5cad"
TEXT = "#1b1f24"
MUTED = "#555d66"
AXIS = "#767676"
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def _id(chart_id: str | None) -> str:
    return chart_id or "chart-" + uuid.uuid4().hex[:8]


def _number(value: float) -> str:
    """A value as plain text: integers without decimals, others with up to two."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def _svg_open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _table(caption: str, headers: tuple[str, str], rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'
                   for label, value in rows)
    return (
        f'<table class="visually-hidden"><caption>{escape(caption)}</caption>'
        f'<thead><tr><th scope="col">{escape(headers[0])}</th>'
        f'<th scope="col">{escape(headers[1])}</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, description: str = "",
              label_header: str = "", value_header: str = "",
              value_labels: Sequence[str] | None = None, max_value: float | None = None,
              width: int = 560, bar_height: int = 22, gap: int = 8, label_width: int = 170,
              fill: str = FILL, chart_id: str | None = None) -> Markup:
    """Render horizontal bars for ``items`` (``(label, value)`` pairs, drawn top to bottom).

    ``value_labels`` replaces the printed numbers (e.g. ``"3 (50 %)"``), in the chart and in
    the table; ``max_value`` fixes the scale (default: the largest value, at least 1).
    """
    chart_id = _id(chart_id)
    texts = list(value_labels) if value_labels is not None else [_number(v) for _, v in items]
    if len(texts) != len(items):
        raise ValueError("value_labels must have one entry per item")
    scale_max = max_value if max_value is not None else max([v for _, v in items] + [1])
    scale_max = scale_max or 1
    value_room = 90
    plot = max(width - label_width - value_room, 40)
    height = max(len(items), 1) * (bar_height + gap) + gap
    parts = [_svg_open(chart_id, width, height, title, description)]
    if not items:
        parts.append(f'<text x="{label_width}" y="{gap + bar_height * 0.7:.1f}" '
                     f'fill="{MUTED}">–</text>')
    for index, ((label, value), text) in enumerate(zip(items, texts)):
        y = gap + index * (bar_height + gap)
        length = plot * max(min(value / scale_max, 1), 0)
        baseline = y + bar_height * 0.7
        parts.append(
            f'<text x="{label_width - 8}" y="{baseline:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(_clip(label, max(label_width // 7, 4)))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{escape(fill)}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{baseline:.1f}" fill="{TEXT}">'
            f"{escape(text)}</text>"
        )
    parts.append(f'<line x1="{label_width}" y1="0" x2="{label_width}" y2="{height}" '
                 f'stroke="{AXIS}"/></svg>')
    parts.append(_table(title, (label_header, value_header),
                        [(label, text) for (label, _), text in zip(items, texts)]))
    return Markup('<figure class="chart-figure">' + "".join(parts) + "</figure>")


def bin_values(values: Sequence[float], bins: int | Sequence[float],
               value_range: tuple[float, float] | None = None) -> tuple[list[float], list[int]]:
    """Return ``(edges, counts)``: ``bins`` equal bins over ``value_range`` (default: the
    values' own range) or the given edges. The last bin includes its right edge; values
    outside the edges are not counted."""
    if isinstance(bins, int):
        if bins < 1:
            raise ValueError("bins must be at least 1")
        low, high = value_range or ((min(values), max(values)) if values else (0.0, 1.0))
        if high <= low:
            high = low + 1
        step = (high - low) / bins
        edges = [low + i * step for i in range(bins)] + [high]
    else:
        edges = [float(edge) for edge in bins]
        if len(edges) < 2 or any(b <= a for a, b in pairwise(edges)):
            raise ValueError("bin edges must be at least two increasing numbers")
    counts = [0] * (len(edges) - 1)
    for value in values:
        if value is None or math.isnan(value) or value < edges[0] or value > edges[-1]:
            continue
        index = next((i for i in range(len(counts)) if value < edges[i + 1]), len(counts) - 1)
        counts[index] += 1
    return edges, counts


def histogram(values: Sequence[float], bins: int | Sequence[float], *, title: str,
              description: str = "", labels: Sequence[str] | None = None,
              value_range: tuple[float, float] | None = None,
              bin_header: str = "", count_header: str = "",
              format_edge: Callable[[float], str] = _number, width: int = 480,
              height: int = 200, fill: str = FILL, chart_id: str | None = None) -> Markup:
    """Render a histogram of ``values`` as vertical columns with their counts on top.

    ``bins`` is a number of equal bins (over ``value_range`` or the data's range) or a
    sequence of edges; ``labels`` names the bins (default ``"low–high"``).
    """
    chart_id = _id(chart_id)
    edges, counts = bin_values(values, bins, value_range)
    if labels is None:
        labels = [f"{format_edge(a)}–{format_edge(b)}" for a, b in pairwise(edges)]
    if len(labels) != len(counts):
        raise ValueError("labels must have one entry per bin")
    top, bottom, left = 20, 28, 8
    plot_height = height - top - bottom
    slot = (width - 2 * left) / len(counts)
    bar_width = max(slot * 0.8, 1)
    peak = max(counts + [1])
    parts = [_svg_open(chart_id, width, height, title, description)]
    for index, (count, label) in enumerate(zip(counts, labels)):
        x = left + index * slot + (slot - bar_width) / 2
        bar = plot_height * count / peak
        y = top + plot_height - bar
        centre = x + bar_width / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{bar:.1f}" '
            f'fill="{escape(fill)}"/>'
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{TEXT}">'
            f"{count}</text>"
            f'<text x="{centre:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(_clip(label, 12))}</text>"
        )
    parts.append(f'<line x1="{left}" y1="{top + plot_height}" x2="{width - left}" '
                 f'y2="{top + plot_height}" stroke="{AXIS}"/></svg>')
    parts.append(_table(title, (bin_header, count_header),
                        [(label, str(count)) for label, count in zip(labels, counts)]))
    return Markup('<figure class="chart-figure">' + "".join(parts) + "</figure>")
