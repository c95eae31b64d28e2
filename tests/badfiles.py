"""Make bad (and a few good) input files at test time, so no binary fixture is ever committed.

Each maker takes a directory, writes one file into it and returns its path. They are cheap on purpose:
the 12,000 x 12,000 image and the 20,000 x 20,000 decompression bomb are all-black PNGs whose deflate stream
is one block repeated (well under 1 MB, and never the pixels in memory), the 51 MiB file is sparse, and the
2,001-page PDF reuses one tiny page. Everything is deterministic (fixed seeds, reportlab's invariant mode) so
a failure reproduces.

Usable from other tests (the CLI, the upload endpoint) and by hand::

    python tests/badfiles.py /tmp/bad     # writes every file and prints the paths
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

MIB = 1024 * 1024


# ----------------------------------------------------------------------------------------------- primitives


def real_pdf_bytes(pages: int = 3, encrypt: str | None = None) -> bytes:
    """A genuine multi-page invoice-like PDF from reportlab (text layer, compressed content streams)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1, encrypt=encrypt)
    for page in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 780, "Invoice INV-100")
        c.setFont("Helvetica", 10)
        c.drawString(72, 760, f"Contoso Ltd - page {page} of {pages}")
        for i in range(40):
            line = f"{i + 1:>3}  Consulting services, day {i + 1}   {(i + 1) * 13.5:9.2f} EUR"
            c.drawString(72, 730 - i * 15, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """Assemble a PDF by hand from object bodies (object i+1 is objects[i]) with a correct xref table.

    Used where reportlab cannot express the content (JavaScript actions, obfuscated names) and so the bytes
    under test are exactly what the test says they are.
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset  # each entry exactly 20 bytes, as the spec requires
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def streamed_png(width: int, height: int, mode: str = "1") -> bytes:
    """A valid all-black PNG of any size (mode "1": 1-bit greyscale, or "RGB": 8-bit truecolour), cheaply.

    All-black means the filtered pixel stream is nothing but zero bytes. One block of whole rows is deflated
    once, ending in a full flush so it references nothing before it, and that block is repeated; the zlib
    checksum of n zero bytes is computed directly. So a 12,000 x 12,000 RGB image (432 MB of pixel data,
    ~580 MB once Pillow decodes it) is ~0.4 MB and takes milliseconds, and nothing the size of the image is
    ever in memory.
    """
    bit_depth, colour_type, row_bytes = {"1": (1, 0, (width + 7) // 8), "RGB": (8, 2, width * 3)}[mode]
    row = 1 + row_bytes  # filter-type byte (0 = None) + pixels
    rows_per_block = max(1, min(height, (4 * MIB) // row))
    blocks, rest = divmod(height, rows_per_block)

    def deflate_zeros(n: int) -> bytes:
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: blocks only, no header/trailer
        return comp.compress(bytes(n)) + comp.flush(zlib.Z_FULL_FLUSH)

    total = height * row
    body = deflate_zeros(rows_per_block * row) * blocks + (deflate_zeros(rest * row) if rest else b"")
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block
    adler = ((total % 65521) << 16) | 1  # Adler-32 of zero bytes: s1 stays 1, s2 grows by 1 per byte
    idat = b"\x78\xda" + body + final + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def _invoice_image(width: int = 600, height: int = 400) -> Image.Image:
    im = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(im)
    draw.text((20, 20), "Invoice INV-100", fill="black")
    draw.text((20, 50), "Total 110.00 EUR", fill="black")
    return im


def _write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------------------ bad files


def zero_byte(directory: Path) -> Path:
    """0 bytes: what a failed download or an aborted upload leaves behind."""
    return _write(directory, "empty.pdf", b"")


def truncated_pdf(directory: Path) -> Path:
    """The first half of a real PDF: an upload cut off mid-way (no xref, no trailer)."""
    data = real_pdf_bytes()
    return _write(directory, "truncated.pdf", data[: len(data) // 2])


def corrupt_pdf(directory: Path) -> Path:
    """A PDF header followed by 64 kB of random bytes (seeded): the parser must give up, quickly."""
    rng = random.Random(20240501)
    return _write(directory, "corrupt.pdf", b"%PDF-1.7\n" + rng.randbytes(64 * 1024))


def encrypted_pdf(directory: Path) -> Path:
    """A PDF with a user password (reportlab's standard 128-bit encryption; no pikepdf needed)."""
    return _write(directory, "encrypted.pdf", real_pdf_bytes(pages=1, encrypt="s3cret"))


def many_pages_pdf(directory: Path, pages: int = 2001) -> Path:
    """2,001 pages sharing one font and one tiny content stream: ~0.5 MB, made in well under a second."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", _stream(b"BT /F1 12 Tf 72 720 Td (Page) Tj ET"),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    first_page = len(objects) + 1
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
            b"/Resources << /Font << /F1 4 0 R >> >> >>")
    objects.extend(page for _ in range(pages))
    kids = b" ".join(b"%d 0 R" % n for n in range(first_page, first_page + pages))
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages
    return _write(directory, "many_pages.pdf", raw_pdf(objects))


def huge_image(directory: Path) -> Path:
    """A valid 12,000 x 12,000 RGB PNG (144 megapixels) of ~0.4 MB: above the side limit, in Pillow's warning
    band (between 1x and 2x MAX_IMAGE_PIXELS), and ~580 MB if anything decoded it."""
    return _write(directory, "huge.png", streamed_png(12_000, 12_000, "RGB"))


def decompression_bomb(directory: Path) -> Path:
    """A ~50 kB PNG that decodes to 20,000 x 20,000 (400 megapixels): beyond Pillow's error threshold."""
    return _write(directory, "bomb.png", streamed_png(20_000, 20_000))


def tiny_image(directory: Path) -> Path:
    """30 x 30 pixels: an icon or tracking pixel, no legible text."""
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(buf, "PNG")
    return _write(directory, "tiny.png", buf.getvalue())


def exe_renamed_pdf(directory: Path) -> Path:
    """A Windows PE/DOS stub named like an invoice (the classic malicious attachment)."""
    stub = bytearray(512)
    stub[0:2] = b"MZ"
    stub[0x3C:0x40] = struct.pack("<I", 0x80)
    stub[0x40:0x40 + 39] = b"This program cannot be run in DOS mode.\r"
    stub[0x80:0x84] = b"PE\x00\x00"
    return _write(directory, "invoice.pdf", bytes(stub))


def zip_renamed_png(directory: Path) -> Path:
    """A ZIP archive named like a scan."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("invoice-100.txt", "Invoice INV-100\nTotal 110.00 EUR\n")
    return _write(directory, "scan.png", buf.getvalue())


def html_renamed_pdf(directory: Path) -> Path:
    """An HTML sign-in page saved as invoice.pdf: what a 'download' link behind a login often gives."""
    html = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title></head>"
            "<body><form action=\"/login\"><input name=\"user\"><input type=\"password\" name=\"pw\">"
            "</form></body></html>\n")
    return _write(directory, "invoice.pdf", html.encode())


def javascript_pdf(directory: Path) -> Path:
    """A valid 1-page PDF showing "Invoice 123" with an /OpenAction JavaScript action and a document-level
    script in the Names tree (the two common ways scripts ride along with invoices)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R"
        b" /OpenAction << /S /JavaScript /JS (app.alert\\('Invoice opened'\\);) >>"
        b" /Names << /JavaScript 6 0 R >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"BT /F1 24 Tf 72 700 Td (Invoice 123) Tj ET"),
        b"<< /Names [(init) 7 0 R] >>",
        b"<< /S /JavaScript /JS (this.print\\(false\\);) >>",
    ]
    return _write(directory, "javascript.pdf", raw_pdf(objects))


def hidden_javascript_pdf(directory: Path) -> Path:
    """Document JavaScript whose names are hex-escaped (/J#61vaScript, /J#53): invisible to a byte scan, so
    only PDFium's parsed Names tree can tell."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 6 0 R >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"BT /F1 24 Tf 72 700 Td (Invoice 124) Tj ET"),
        b"<< /Names [(init) 7 0 R] >>",
        b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\);) >>",
    ]
    return _write(directory, "hidden_javascript.pdf", raw_pdf(objects))


def oversized_file(directory: Path) -> Path:
    """51 MiB starting with a PDF header, as a sparse file: no disk blocks, no time, and the validator must
    refuse it from ``stat`` alone."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "oversized.pdf"
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(51 * MIB)
    return path


def tiff_many_frames(directory: Path, frames: int = 60) -> Path:
    """A 60-frame TIFF of 60 x 60 pixels each (a fax batch run wild)."""
    images = [Image.new("L", (60, 60), 255 - i) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:])
    return _write(directory, "many_frames.tiff", buf.getvalue())


def truncated_png(directory: Path) -> Path:
    """The first two thirds of a real (noisy, so incompressible) PNG: header intact, pixel data cut off."""
    rng = random.Random(7)
    im = Image.frombytes("L", (300, 300), rng.randbytes(300 * 300))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    data = buf.getvalue()
    return _write(directory, "truncated.png", data[: len(data) * 2 // 3])


def xml_with_entities(directory: Path) -> Path:
    """A 'billion laughs' XML (ten levels of entities); it must be refused before anything expands it."""
    decl = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY e0 "lol">{decl}]>\n<Invoice>&e9;</Invoice>\n'
    return _write(directory, "laughs.xml", xml.encode())


def broken_xml(directory: Path) -> Path:
    """An e-invoice cut off mid-element."""
    return _write(directory, "broken.xml", UBL_INVOICE.encode()[:300])


# ----------------------------------------------------------------------------------------------- good files

UBL_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
  <cbc:ID>INV-100</cbc:ID>
  <cbc:IssueDate>2024-05-01</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:LegalMonetaryTotal>
    <cbc:PayableAmount currencyID="EUR">110.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</Invoice>
"""


def valid_pdf(directory: Path, pages: int = 3) -> Path:
    return _write(directory, "valid.pdf", real_pdf_bytes(pages))


def valid_png(directory: Path) -> Path:
    buf = io.BytesIO()
    _invoice_image().save(buf, "PNG")
    return _write(directory, "valid.png", buf.getvalue())


def valid_jpeg(directory: Path) -> Path:
    buf = io.BytesIO()
    _invoice_image().save(buf, "JPEG", quality=85)
    return _write(directory, "valid.jpg", buf.getvalue())


def valid_tiff(directory: Path, frames: int = 2) -> Path:
    images = [_invoice_image().convert("L") for _ in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate")
    return _write(directory, "valid.tiff", buf.getvalue())


def valid_xml(directory: Path) -> Path:
    return _write(directory, "valid.xml", b"\xef\xbb\xbf" + UBL_INVOICE.encode())


BAD_FILES: dict[str, Callable[[Path], Path]] = {
    f.__name__: f
    for f in (zero_byte, truncated_pdf, corrupt_pdf, encrypted_pdf, many_pages_pdf, huge_image,
              decompression_bomb, tiny_image, exe_renamed_pdf, zip_renamed_png, html_renamed_pdf,
              javascript_pdf, hidden_javascript_pdf, oversized_file, tiff_many_frames, truncated_png,
              xml_with_entities, broken_xml)
}
GOOD_FILES: dict[str, Callable[[Path], Path]] = {
    f.__name__: f for f in (valid_pdf, valid_png, valid_jpeg, valid_tiff, valid_xml)
}


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "badfiles-out")
    for maker_name, maker in {**BAD_FILES, **GOOD_FILES}.items():
        # Several makers choose the same file name (invoice.pdf); give each its own folder.
        print(maker(target / maker_name))
