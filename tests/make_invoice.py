"""Small invoices drawn at test time (reportlab), so each rule of the engine has a document that isolates it.

``draw(path, pages)`` takes, per page, a list of ``(x_mm, y_mm_from_top, text)`` and writes a text PDF;
``to_image`` renders a page with pdfium for the OCR tests.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

Item = tuple[float, float, str]


def draw(path: Path, pages: list[list[Item]], size: float = 10) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4)
    _, height = A4
    for page in pages:
        for x, y, text in page:
            c.setFont("Helvetica", size)
            c.drawString(x * mm, height - y * mm, text)
        c.showPage()
    c.save()
    return path


def to_image(pdf: Path, dpi: int = 200) -> Image.Image:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        bitmap = doc[0].render(scale=dpi / 72)
        return bitmap.to_pil().convert("RGB")
    finally:
        doc.close()


def header(vendor: str, lines: list[tuple[str, str]], y0: float = 20) -> list[Item]:
    """A letterhead and a 'label: value' block on the right."""
    out: list[Item] = [(20, 15, vendor)]
    for i, (label, value) in enumerate(lines):
        out.append((120, y0 + 7 * i, label))
        out.append((160, y0 + 7 * i, value))
    return out


def totals(rows: list[tuple[str, str]], y0: float = 200) -> list[Item]:
    out: list[Item] = []
    for i, (label, value) in enumerate(rows):
        out.append((120, y0 + 7 * i, label))
        out.append((170, y0 + 7 * i, value))
    return out
