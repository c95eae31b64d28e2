"""PDF pages -> words, through pdfium's text layer, falling back to OCR where the text layer cannot be trusted.

pdfium (pypdfium2) reads a page's text layer in a few milliseconds, which is what makes the 0.3 s budget for a
digital invoice possible. Some PDFs lie: scans with no text, scans with an invisible OCR layer of poor quality,
text drawn as glyphs without a Unicode map, or a letterhead pasted in as an image. Those pages (or regions) are
rasterised and read by OCR instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from invoice_capture.extraction.model import ExtractionError, Page, Word

log = logging.getLogger(__name__)

#: Rendering resolution for OCR of PDF pages: 300 dpi is Tesseract's sweet spot for 8-12 pt print.
OCR_DPI = 300
#: An image object covering at least this share of a page without text on it is read by OCR (letterheads).
IMAGE_REGION_MIN_SHARE = 0.01

_PRINTABLE = re.compile(r"[\w€$£¥₹%]", re.UNICODE)


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfium.PdfDocument]:
    """Open a PDF from memory, turning pdfium's errors into the contract's error codes."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD or "password" in str(exc).lower():
            raise ExtractionError(
                "encrypted",
                "The PDF is password-protected. Save an unprotected copy (print to PDF) and send that.",
            ) from exc
        raise ExtractionError(
            "corrupt", "The PDF is damaged or incomplete and cannot be opened. Send the original file again."
        ) from exc
    try:
        yield pdf
    finally:
        pdf.close()


def text_layer_words(page: pdfium.PdfPage, number: int) -> Page:
    """Words of one page from its text layer, boxes in points with a top-left origin.

    Characters are grouped into words on whitespace and on horizontal gaps, because many generators place each
    word (or each glyph) separately without emitting spaces.
    """
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        words: list[Word] = []
        cur: list[str] = []
        box: list[float] | None = None
        last_x1 = last_size = 0.0

        def flush() -> None:
            nonlocal cur, box
            if cur and box is not None:
                words.append(Word("".join(cur), (box[0], height - box[3], box[2], height - box[1]), number))
            cur, box = [], None

        # get_text_range can differ in length from count_chars when pdfium inserts generated characters;
        # read the characters one by one so boxes and text stay aligned.
        for i in range(n):
            ch = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
            if ch in " \t\r\n\u00a0\u2009\u202f\x02\ufffe" or not ch.isprintable():
                # a single narrow no-break space inside a number ("1 234,56") still separates words here;
                # the amount parser joins such groups back when it reads a line.
                flush()
                continue
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=True)  # left, bottom, right, top
            size = y1 - y0
            if box is not None and (x0 - last_x1 > max(size, last_size) * 0.28 or x0 < last_x1 - size * 2):
                flush()
            if box is None:
                box = [x0, y0, x1, y1]
            else:
                box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            cur.append(ch)
            last_x1, last_size = x1, size
        flush()
    finally:
        textpage.close()
    return Page(number=number, width=width, height=height, words=words, source="text")


def text_layer_is_usable(page: Page) -> bool:
    """A text layer is trusted when it has enough words and most are made of real characters.

    Scans carry no text or a handful of stray words; broken font encodings show up as replacement or private-use
    characters. Either way OCR does better.
    """
    if len(page.words) < 8:
        return False
    chars = "".join(w.text for w in page.words)
    if not chars:
        return False
    good = sum(1 for c in chars if _PRINTABLE.match(c) or c in ".,:;-/()#&'\"+*@")
    weird = sum(1 for c in chars if "\ue000" <= c <= "\uf8ff" or c == "\ufffd")
    return good / len(chars) > 0.8 and weird / len(chars) < 0.05


def image_regions(page: pdfium.PdfPage, text_page: Page) -> list[tuple[float, float, float, float]]:
    """Boxes (points, top-left origin) of sizeable images that no text-layer word overlaps.

    Vendors paste their letterhead (name, address, VAT id) as a picture; without reading it the vendor is
    invisible to a text-layer reader.
    """
    width, height = page.get_size()
    out: list[tuple[float, float, float, float]] = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        box = (max(0.0, left), max(0.0, height - top), min(width, right), min(height, height - bottom))
        area = (box[2] - box[0]) * (box[3] - box[1])
        if area < IMAGE_REGION_MIN_SHARE * width * height or area > 0.9 * width * height:
            continue
        covered = any(
            w.x0 >= box[0] and w.x1 <= box[2] and w.y0 >= box[1] and w.y1 <= box[3] for w in text_page.words
        )
        if not covered:
            out.append(box)
    return out


def render_page(page: pdfium.PdfPage, dpi: int = OCR_DPI, max_side: int = 5000) -> Image.Image:
    """Rasterise a page to a greyscale PIL image for OCR, bounded in pixels whatever the page size says."""
    width, height = page.get_size()
    scale = dpi / 72.0
    longest = max(width, height) * scale
    if longest > max_side:
        scale *= max_side / longest
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil()
    finally:
        bitmap.close()
