"""The flow chart on the summary card: invoices in and decisions out per day (or hour), as a small PNG.

Drawn with Pillow alone (no plotting library in the service). The card carries the image inline as a data URI,
and Teams refuses cards over ~28 KB, so the picture is built to compress: flat colours, no gradients, then mapped
onto a fixed 16-colour palette (4-bit PNG). A fixed palette without dithering also makes the bytes depend on the
input only, so the same numbers give the same file.

Each bucket shows two bars side by side: what came in (received) and what went out, stacked by outcome (approved,
rejected, escalated). Stacking inflow with outcomes would add unlike things; two bars let a manager see at a glance
whether the queue grew or shrank that day.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WHITE = (255, 255, 255)
INK = (51, 51, 51)
AXIS = (140, 140, 140)
GRID = (228, 228, 228)
SERIES: dict[str, tuple[int, int, int]] = {
    "received": (0, 114, 178),
    "approved": (0, 158, 115),
    "rejected": (213, 94, 0),
    "escalated": (230, 159, 0),
}
"""Okabe-Ito colours: told apart with the common colour-vision deficiencies, and on white."""
LEGEND = {"received": "Received", "approved": "Approved", "rejected": "Rejected", "escalated": "Escalated"}
OUTCOMES = ("approved", "rejected", "escalated")

_RAMP = 6
"""Greys between the ink and white, for anti-aliased text edges (16 colours in all)."""


def _palette() -> Image.Image:
    """The fixed palette every chart is mapped onto: white, ink, axis, grid, the four series and a grey ramp."""
    colours = [WHITE, INK, AXIS, GRID, *SERIES.values()]
    for k in range(1, _RAMP + 1):
        t = k / (_RAMP + 1)
        colours.append(tuple(round(i + (w - i) * t) for i, w in zip(INK, WHITE, strict=True)))
    flat = [c for colour in colours for c in colour]
    pal = Image.new("P", (1, 1))
    pal.putpalette(flat + flat[:3] * (256 - len(colours)))
    return pal


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font (no system font paths: the same glyphs on every machine and in every container)."""
    return ImageFont.load_default(size=size)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: Any) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return int(right - left)


def nice_step(top: int, ticks: int = 4) -> int:
    """A gridline step of 1, 2 or 5 x 10^k giving at most ``ticks`` lines up to ``top`` (whole invoices)."""
    if top <= ticks:
        return 1
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if mult * magnitude >= raw:
            return int(mult * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def flow_png(flow: Sequence[Mapping[str, Any]], *, width: int = 560, height: int = 250, unit: str = "day",
             font_size: int = 12) -> bytes:
    """The flow as a PNG: per bucket a received bar and an approved/rejected/escalated stack, counts on top where
    they fit, a y axis in invoices with gridlines, bucket labels (thinned when crowded) and a legend.

    ``flow`` is ``reports.summary(...)["flow"]``: dicts with ``label`` and the four counts. ``unit`` names the
    x axis ("day" or "hour", UTC).
    """
    font = _font(font_size)
    small = _font(max(font_size - 2, 8))
    img = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(img)
    counts = [{key: max(int(row.get(key) or 0), 0) for key in SERIES} for row in flow]
    labels = [str(row.get("label", "")) for row in flow]
    top = max([c["received"] for c in counts] + [sum(c[k] for k in OUTCOMES) for c in counts] + [1])
    step = nice_step(top)
    y_max = step * math.ceil(top / step)
    if top * 1.1 > y_max:  # headroom: the tallest bar's count must not touch the legend
        y_max += step

    line_h = font_size + 4
    legend_h = line_h + 6
    left = _text_width(draw, str(y_max), font) + 12
    right, plot_top, plot_bottom = 8, legend_h + line_h + 4, height - 2 * line_h - 2
    plot_w, plot_h = width - left - right, plot_bottom - plot_top

    # legend across the top, left to right
    x = left
    for key, name in LEGEND.items():
        if key == OUTCOMES[0]:  # the stacked bar's colours are one group: say so
            draw.text((x, 10), "Decided:", fill=INK, font=font, anchor="lm")
            x += _text_width(draw, "Decided:", font) + 6
        draw.rectangle((x, 5, x + 10, 15), fill=SERIES[key])
        draw.text((x + 14, 10), name, fill=INK, font=font, anchor="lm")
        x += 14 + _text_width(draw, name, font) + 16
    # y axis: gridlines with their values, and the unit above
    draw.text((2, legend_h + 1), "invoices", fill=INK, font=small, anchor="lt")
    for value in range(0, y_max + 1, step):
        y = plot_bottom - round(value / y_max * plot_h)
        if value:
            draw.line((left, y, width - right, y), fill=GRID)
        draw.text((left - 5, y), str(value), fill=INK, font=font, anchor="rm")
    draw.line((left, plot_top, left, plot_bottom), fill=AXIS)

    n = max(len(counts), 1)
    slot = plot_w / n
    bar = max(int(slot * 0.36), 1)
    gap = max(int(slot * 0.04), 0)
    label_every = _label_every(draw, labels, font, slot)
    show_counts = all(_text_width(draw, str(max(c["received"], sum(c[k] for k in OUTCOMES))), small) <= bar + gap
                      for c in counts)

    def height_of(value: int) -> int:
        return round(value / y_max * plot_h)

    for i, c in enumerate(counts):
        x0 = left + round(i * slot + (slot - 2 * bar - gap) / 2)
        # inflow
        h = height_of(c["received"])
        if h:
            draw.rectangle((x0, plot_bottom - h, x0 + bar - 1, plot_bottom - 1), fill=SERIES["received"])
        if show_counts and c["received"]:
            draw.text((x0 + bar / 2, plot_bottom - h - 2), str(c["received"]), fill=INK, font=small, anchor="mb")
        # outcomes, stacked bottom-up in legend order
        x1, base, total = x0 + bar + gap, plot_bottom, 0
        for key in OUTCOMES:
            total += c[key]
            top_y = plot_bottom - height_of(total)
            if top_y < base:
                draw.rectangle((x1, top_y, x1 + bar - 1, base - 1), fill=SERIES[key])
            base = top_y
        if show_counts and total:
            draw.text((x1 + bar / 2, base - 2), str(total), fill=INK, font=small, anchor="mb")
        if i % label_every == 0:
            draw.text((left + (i + 0.5) * slot, plot_bottom + 3), labels[i], fill=INK, font=font, anchor="mt")
    draw.line((left, plot_bottom, width - right, plot_bottom), fill=AXIS)
    draw.text((left + plot_w / 2, height - 3), f"{unit} (UTC)", fill=INK, font=small, anchor="md")

    out = io.BytesIO()
    img.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, "PNG", optimize=True, bits=4)
    return out.getvalue()


def _label_every(draw: ImageDraw.ImageDraw, labels: Sequence[str], font: Any, slot: float) -> int:
    """Show every k-th bucket label so neighbours never touch (every hour of a day would not fit)."""
    widest = max((_text_width(draw, label, font) for label in labels), default=0) + 4
    every = 1
    while every * slot < widest:
        every += 1
    return every
