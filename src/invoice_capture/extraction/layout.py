"""Words -> lines -> segments, in reading order.

Invoices are forms: a label and its value sit on one line separated by a gap, or stacked in a column. Grouping
words into lines (vertical overlap) and lines into segments (horizontal gaps wider than a word space) gives the
units the field finder reasons about, for text-layer words and OCR words alike.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field

from invoice_capture.extraction.model import BBox, Page, Word


@dataclass(slots=True)
class Segment:
    """A run of words on one line with no column gap inside it."""

    words: list[Word]
    page: int
    line_index: int = 0
    text: str = ""
    bbox: BBox = (0.0, 0.0, 0.0, 0.0)
    offsets: list[int] = field(default_factory=list)  # start offset of each word in ``text``

    def __post_init__(self) -> None:
        parts: list[str] = []
        pos = 0
        self.offsets = []
        for w in self.words:
            self.offsets.append(pos)
            parts.append(w.text)
            pos += len(w.text) + 1
        self.text = " ".join(parts)
        self.bbox = union(w.bbox for w in self.words)

    @property
    def conf(self) -> float:
        return min((w.conf for w in self.words), default=1.0)

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    def words_in(self, start: int, end: int) -> list[Word]:
        """Words overlapping the character range [start, end) of ``text``."""
        out = []
        for w, off in zip(self.words, self.offsets, strict=True):
            if off < end and off + len(w.text) > start:
                out.append(w)
        return out

    def sub(self, start: int, end: int) -> Segment | None:
        ws = self.words_in(start, end)
        return Segment(ws, self.page, self.line_index) if ws else None


@dataclass(slots=True)
class Line:
    """Words sharing a baseline band, split into segments at column gaps."""

    page: int
    index: int
    words: list[Word]
    segments: list[Segment] = field(default_factory=list)
    bbox: BBox = (0.0, 0.0, 0.0, 0.0)

    @property
    def text(self) -> str:
        return "  ".join(s.text for s in self.segments)

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass(slots=True)
class Layout:
    """All lines of a document, page by page, in reading order; the unit every finder works on."""

    pages: list[Page]
    lines: list[Line]

    @property
    def segments(self) -> list[Segment]:
        return [s for ln in self.lines for s in ln.segments]

    def page_size(self, number: int) -> tuple[float, float]:
        p = self.pages[number - 1]
        return p.width, p.height

    def text(self) -> str:
        out: list[str] = []
        for i, ln in enumerate(self.lines):
            if i and ln.page != self.lines[i - 1].page:
                out.append("\f")
            out.append(ln.text)
        return "\n".join(out)


def union(boxes) -> BBox:
    bs = list(boxes)
    if not bs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def _group_lines(words: list[Word]) -> list[list[Word]]:
    """Cluster words whose vertical centres fall in each other's band (tolerant to sub/superscripts)."""
    lines: list[list[Word]] = []
    bands: list[list[float]] = []  # y0, y1 of each open line
    for w in sorted(words, key=lambda w: ((w.y0 + w.y1) / 2, w.x0)):
        cy = (w.y0 + w.y1) / 2
        h = max(w.y1 - w.y0, 1e-3)
        best = -1
        best_d = 0.0
        for i in range(len(lines) - 1, max(-1, len(lines) - 6), -1):
            y0, y1 = bands[i]
            lh = y1 - y0
            if y0 - 0.15 * h <= cy <= y1 + 0.15 * h and abs(lh - h) < 1.2 * max(lh, h):
                d = abs((y0 + y1) / 2 - cy)
                # a word only joins a line it would not overlap horizontally (two stacked columns)
                if any(not (w.x1 <= o.x0 or w.x0 >= o.x1) for o in lines[i]):
                    continue
                if best < 0 or d < best_d:
                    best, best_d = i, d
        if best < 0:
            lines.append([w])
            bands.append([w.y0, w.y1])
        else:
            lines[best].append(w)
            bands[best][0] = min(bands[best][0], w.y0) if len(lines[best]) < 3 else bands[best][0]
            bands[best][1] = max(bands[best][1], w.y1) if len(lines[best]) < 3 else bands[best][1]
    for ln in lines:
        ln.sort(key=lambda w: w.x0)
    lines.sort(key=lambda ln: (min(w.y0 for w in ln) + max(w.y1 for w in ln)) / 2)
    return lines


def _split_segments(words: list[Word], page: int, index: int) -> list[Segment]:
    heights = [w.y1 - w.y0 for w in words]
    h = statistics.median(heights) if heights else 1.0
    segs: list[list[Word]] = [[words[0]]]
    for prev, w in itertools.pairwise(words):
        gap = w.x0 - prev.x1
        if gap > 0.9 * h:
            segs.append([w])
        else:
            segs[-1].append(w)
    return [Segment(ws, page, index) for ws in segs]


def build_layout(pages: list[Page]) -> Layout:
    lines: list[Line] = []
    for page in pages:
        for ws in _group_lines([w for w in page.words if w.text.strip()]):
            ln = Line(page=page.number, index=len(lines), words=ws, bbox=union(w.bbox for w in ws))
            ln.segments = _split_segments(ws, page.number, ln.index)
            lines.append(ln)
    return Layout(pages=pages, lines=lines)
