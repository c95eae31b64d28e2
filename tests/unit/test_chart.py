"""The flow chart PNG: decodes, stays small enough for a card's data URI, is the same for the same numbers, and its
bars are as tall as the numbers say (measured on the pixels)."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from PIL import Image

from invoice_capture.chart import OUTCOMES, SERIES, flow_png, nice_step

MAX_PNG = 12 * 1024
WEEK = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def flow(rows: list[tuple[int, int, int, int]], labels: tuple[str, ...] | list[str] = WEEK) -> list[dict[str, Any]]:
    return [{"label": label, "received": r, "approved": a, "rejected": j, "escalated": e}
            for label, (r, a, j, e) in zip(labels, rows, strict=True)]


TYPICAL_WEEK = flow([(42, 35, 2, 1), (38, 40, 1, 3), (51, 44, 3, 2), (29, 31, 0, 2), (47, 39, 4, 1), (3, 2, 0, 0),
                     (0, 0, 0, 0)])


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    img = Image.open(io.BytesIO(png))
    img.load()
    return img


def bars(png: bytes, colour: tuple[int, int, int], *, below: int = 25) -> list[tuple[int, int]]:
    """(first x, height in pixels) of each run of columns holding ``colour`` under the legend (y >= ``below``)."""
    img = decode(png).convert("RGB")
    width, height = img.size
    px = img.load()
    heights = [sum(1 for y in range(below, height) if px[x, y] == colour) for x in range(width)]
    runs: list[tuple[int, int]] = []
    for x, h in enumerate(heights):
        if h and (x == 0 or not heights[x - 1]):
            runs.append((x, h))
        elif h:
            runs[-1] = (runs[-1][0], max(runs[-1][1], h))
    return runs


def test_png_decodes_at_the_asked_size_as_a_small_palette_image() -> None:
    png = flow_png(TYPICAL_WEEK, width=560, height=250)
    img = decode(png)
    assert img.format == "PNG" and img.size == (560, 250)
    assert img.mode == "P" and len(img.getcolors(256) or []) <= 16, "a 16-colour palette keeps the file small"
    assert len(png) < MAX_PNG


@pytest.mark.parametrize(("labels", "unit"), [
    (WEEK, "day"), ([str(d) for d in range(1, 32)], "day"), ([f"{h:02d}" for h in range(24)], "hour")])
def test_size_bound_for_every_period_shape_even_with_noisy_numbers(labels: tuple[str, ...] | list[str],
                                                                  unit: str) -> None:
    rng = random.Random(7)
    rows = [(rng.randint(0, 999), rng.randint(0, 900), rng.randint(0, 60), rng.randint(0, 40)) for _ in labels]
    png = flow_png(flow(rows, labels), unit=unit)
    assert len(png) < MAX_PNG, f"{len(png)} bytes"
    assert len(bars(png, SERIES["received"])) == sum(1 for r in rows if r[0])


def test_same_numbers_same_bytes_other_numbers_other_bytes() -> None:
    assert flow_png(TYPICAL_WEEK) == flow_png([dict(row) for row in TYPICAL_WEEK])
    changed = [dict(row) for row in TYPICAL_WEEK]
    changed[2]["rejected"] += 1
    assert flow_png(changed) != flow_png(TYPICAL_WEEK)


def test_bar_heights_follow_the_numbers() -> None:
    png = flow_png(flow([(10, 6, 2, 2), (5, 0, 0, 0), (0, 0, 0, 0), (20, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0),
                         (0, 0, 0, 0)]))
    received = bars(png, SERIES["received"])
    assert [x for x, _ in received] == sorted(x for x, _ in received) and len(received) == 3
    (_, mon), (_, tue), (_, thu) = received
    assert abs(mon - 2 * tue) <= 1 and abs(thu - 2 * mon) <= 1, (mon, tue, thu)
    # Monday's outcome stack: 6 approved, 2 rejected, 2 escalated, as tall together as the 10 received
    stack = {key: bars(png, SERIES[key]) for key in OUTCOMES}
    assert all(len(runs) == 1 for runs in stack.values()), "only Monday has outcomes"
    approved, rejected, escalated = (stack[key][0][1] for key in OUTCOMES)
    assert abs(approved - 3 * rejected) <= 1 and abs(rejected - escalated) <= 1
    assert abs(approved + rejected + escalated - mon) <= 1
    assert stack["approved"][0][0] > received[0][0], "the outcome bar stands right of the received bar"


def test_empty_and_zero_flows_draw_axes_only() -> None:
    for rows in ([], flow([(0, 0, 0, 0)] * 7)):
        png = flow_png(rows)
        assert decode(png).size == (560, 250)
        assert all(bars(png, colour) == [] for colour in SERIES.values())


def test_labels_and_legend_are_drawn() -> None:
    """Text is there: dark pixels in the legend row and under each of the seven bars' slots (right of the y
    axis's values)."""
    img = decode(flow_png(TYPICAL_WEEK)).convert("L")
    width, height = img.size
    px = img.load()
    legend_ink = sum(1 for x in range(width) for y in range(0, 20) if px[x, y] < 100)
    label_row = [x for x in range(30, width) if any(px[x, y] < 100 for y in range(height - 30, height - 18))]
    assert legend_ink > 200
    groups = sum(1 for i, x in enumerate(label_row) if i == 0 or x - label_row[i - 1] > 8)
    assert groups == 7, f"{groups} day labels"


@pytest.mark.parametrize(("top", "step"), [(0, 1), (3, 1), (4, 1), (7, 2), (10, 5), (51, 20), (999, 500)])
def test_gridline_step(top: int, step: int) -> None:
    assert nice_step(top) == step
