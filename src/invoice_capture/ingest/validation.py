"""Validate an incoming file before anything decodes it.

Every way a file enters the service (Teams chat, SharePoint, mailbox, upload page, CLI) goes through
:func:`validate_file` or :func:`validate_bytes` first. The point is that a bad file gives one clear, one-line
:class:`ExtractionError` that tells the clerk what is wrong *and* what to do, instead of a traceback, a hung
worker or a process killed for memory halfway through an OCR run:

* the type is decided by magic bytes only, never by the file name (an ``invoice.pdf`` that is really a ZIP, an
  HTML login page or a Windows program is refused and named for what it is);
* sizes are checked before reading (``stat``) and image dimensions are read from the header without decoding,
  so a 12,000 x 12,000 scan or a 50 kB decompression bomb is refused at the cost of a few kilobytes;
* PDFs are opened with PDFium only to count pages and to see whether they are encrypted. No form environment
  is ever initialised here, so PDFium cannot run any JavaScript the file carries; such a file is still
  accepted, with a warning, because plenty of genuine invoices come out of tools that add scripts.

The limits are module constants so that the documentation, the card that explains a refusal, and the tests all
quote the same numbers.
"""

from __future__ import annotations

import io
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from invoice_capture.extraction.model import ExtractionError

__all__ = [
    "HEAD_BYTES",
    "JAVASCRIPT_WARNING",
    "LAUNCH_WARNING",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_PIXELS_SIDE",
    "MAX_IMAGE_TOTAL_PIXELS",
    "MAX_PDF_PAGES",
    "MAX_TIFF_FRAMES",
    "MIN_IMAGE_SIDE",
    "OPEN_ACTION_WARNING",
    "SUPPORTED_TYPES",
    "TRUNCATED_WARNING",
    "FileInfo",
    "sniff",
    "validate_bytes",
    "validate_file",
]

MAX_FILE_BYTES: int = 50 * 1024 * 1024
"""Largest file accepted (50 MiB). A one-invoice PDF is well under 5 MB and a 300 dpi colour A4 scan under
25 MB; anything bigger is a mailbox export or a mistake, and holding it in memory per job would not scale."""

MAX_PDF_PAGES: int = 200
"""Documented maximum number of pages in one PDF. A longer PDF is refused with ``too_many_pages`` (the message
quotes this limit and suggests splitting the file): at ~0.6 s of OCR per scanned page, 200 pages is already a
two-minute job, and a file that long is a batch of invoices that should be reviewed one by one."""

MAX_IMAGE_PIXELS_SIDE: int = 10_000
"""Largest width or height of an image in pixels. An A4 page at 600 dpi is 4,961 x 7,016; beyond 10,000 the
image is either a poster-sized scan or a crafted file, and OCR memory grows with the pixel count."""

MIN_IMAGE_SIDE: int = 50
"""Smallest width or height of an image in pixels: below this there is no legible text (a favicon, a logo, an
e-mail tracking pixel), so refusing it early beats returning an empty extraction."""

MAX_TIFF_FRAMES: int = 50
"""Most frames (pages) accepted in a multi-page TIFF. Frames are counted by walking the directory chain
without decoding, and the walk stops at this limit, so a TIFF with an endless or looping chain costs
nothing."""

MAX_IMAGE_TOTAL_PIXELS: int = 100_000_000
"""Most pixels accepted in one image, summed over all frames of a multi-page TIFF (a single frame cannot
exceed it once both sides are within :data:`MAX_IMAGE_PIXELS_SIDE`). Decoded as RGB this is ~300 MB, the most
one job may hold. Pillow's own bomb guard is set to the same number (warning above it, error at twice it)."""

HEAD_BYTES: int = 4096
"""How many leading bytes :func:`sniff` needs to decide a type (PDF allows its header anywhere in the first
1024 bytes; an XML prolog with comments can be longer)."""

SUPPORTED_TYPES: str = "PDF, PNG, JPEG, TIFF, GIF, BMP, WebP or e-invoice XML (UBL, CII, XRechnung)"
"""The supported types in the words the refusal messages use."""

# Pillow's decompression-bomb guard is process-wide. Setting it here, where the limit is defined, means any
# later decode anywhere in the service (OCR, thumbnails) refuses what validation would have refused.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_TOTAL_PIXELS

_MIB = 1024 * 1024

_PDF = "application/pdf"
_XML = "application/xml"
#: mime type -> the Pillow format name, so Image.open never tries another plugin than the one sniffed.
_PIL_FORMATS: dict[str, str] = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "image/gif": "GIF",
    "image/bmp": "BMP",
    "image/webp": "WEBP",
}

_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic TIFF and BigTIFF
_BMP_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


@dataclass
class FileInfo:
    """What validation learnt about an accepted file, so later stages need not open it again to find out."""

    kind: str  # "pdf" | "image" | "xml"
    mime: str
    size: int
    #: PDF pages, TIFF frames; 1 for other images and for XML (one logical document).
    pages: int
    #: Pixel size of the (first frame of an) image; None for PDF and XML.
    width: int | None
    height: int | None
    #: Things a person should know about an accepted file (e.g. it carries JavaScript); shown, not fatal.
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------- sniffing


def sniff(data_head: bytes) -> str | None:
    """Return the mime type of a supported file from its first bytes, or None.

    Only magic bytes count: a file name or an HTTP Content-Type is whatever the sender's tool felt like, and
    trusting it is how a ZIP named ``invoice.pdf`` reaches a PDF parser. Pass at least :data:`HEAD_BYTES`
    bytes (fewer still works for everything but a PDF header placed late or a long XML prolog).
    """
    head = bytes(data_head[:HEAD_BYTES])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(_TIFF_MAGICS):
        return "image/tiff"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if _looks_like_bmp(head):
        return "image/bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # PDF readers (Acrobat, PDFium) accept the header anywhere in the first 1024 bytes; so must we, because
    # some mail gateways prepend junk.
    if b"%PDF-" in head[:1024]:
        return _PDF
    if _xml_root(head) not in (None, "html", "svg"):
        return _XML
    return None


def _looks_like_bmp(head: bytes) -> bool:
    """'BM' alone is too weak (a text file may start with it), so also check the DIB header size field."""
    if not head.startswith(b"BM") or len(head) < 18:
        return False
    return int.from_bytes(head[14:18], "little") in _BMP_DIB_HEADER_SIZES


def _decode_head(head: bytes) -> str:
    """Decode the head of a possibly-XML file as text, honouring a BOM; undecodable bytes are dropped."""
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:].decode("utf-8", "ignore")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "ignore")
    if head.startswith((b"<\x00", b"\x00<")):  # UTF-16 without BOM
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "ignore")
    return head.decode("utf-8", "ignore")


_XML_NAME = re.compile(r"[A-Za-z_:][\w.:\-]*")


def _xml_root(head: bytes) -> str | None:
    """Name of the root element (local part, lower-case) if the head looks like XML.

    "" if it looks like XML but the root lies beyond the head; None if it is not XML. HTML and SVG are
    XML-ish but not invoices, so the caller treats those roots as unsupported.
    """
    text = _decode_head(head).lstrip()
    if not text.startswith("<"):
        return None
    saw_prolog = False
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        rest = text[pos:]
        if not rest:
            return "" if saw_prolog else None
        if rest.startswith("<?"):
            end = text.find("?>", pos)
            if end < 0:
                return "" if rest.startswith("<?xml") else None
            saw_prolog = saw_prolog or rest.startswith("<?xml")
            pos = end + 2
        elif rest.startswith("<!--"):
            end = text.find("-->", pos)
            if end < 0:
                return "" if saw_prolog else None
            pos = end + 3
        elif rest[:9].upper() == "<!DOCTYPE":
            match = _XML_NAME.match(rest, 9 + len(rest[9:]) - len(rest[9:].lstrip()))
            if match and match.group().lower() == "html":
                return "html"
            bracket, close = text.find("[", pos), text.find(">", pos)
            if 0 <= bracket < close:
                close = text.find("]>", bracket)
                close = close + 1 if close >= 0 else -1
            if close < 0:
                return ""
            pos = close + 1
        elif rest.startswith("<"):
            match = _XML_NAME.match(rest, 1)
            if not match:
                return None
            return match.group().rsplit(":", 1)[-1].lower()
        else:
            return None


# (description, what to do) for files that are recognisably something we do not read.
_OFFICE_HINT = "Save or print it as PDF and send the PDF"
_PROGRAM_HINT = "It is a program, not a document: do not open it, and ask the sender for the invoice itself"
_MACHO_MAGICS = (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xce")


def _describe(head: bytes) -> tuple[str, str] | None:
    """Name what an unsupported file looks like, so the refusal says more than 'unsupported'."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        if b"[Content_Types].xml" in head or any(p in head for p in (b"word/", b"xl/", b"ppt/")):
            return "a Microsoft Office document (Word, Excel or PowerPoint)", _OFFICE_HINT
        if b"mimetypeapplication/vnd.oasis.opendocument" in head:
            return "an OpenDocument file (LibreOffice)", _OFFICE_HINT
        return "a ZIP archive", "Unzip it and send the invoices inside one by one"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return ("an old-format Microsoft Office document or Outlook message (.doc, .xls, .msg)",
                "Save or print it as PDF, or for an e-mail send the attached invoice itself")
    if head.startswith(b"MZ"):
        return "a Windows executable", _PROGRAM_HINT
    if head.startswith(b"\x7fELF") or head[:4] in _MACHO_MAGICS:
        return "an executable program", _PROGRAM_HINT
    if head.startswith(b"#!"):
        return "a script", _PROGRAM_HINT
    if head.startswith(b"\x1f\x8b"):
        return "a gzip archive", "Unpack it and send the invoices inside one by one"
    if head.startswith(b"Rar!\x1a\x07"):
        return "a RAR archive", "Unpack it and send the invoices inside one by one"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "a 7-Zip archive", "Unpack it and send the invoices inside one by one"
    if head.startswith(b"{\\rtf"):
        return "an RTF document", _OFFICE_HINT
    if head.startswith(b"%!PS"):
        return "a PostScript file", "Print it to PDF and send the PDF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"):
            return "a HEIC photo (the iPhone camera format)", "Export or share it as JPEG and send that"
        if brand in (b"avif", b"avis"):
            return "an AVIF image", "Export it as JPEG or PNG and send that"
        return "a video or media file", "Send a PDF or a photo of the invoice instead"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "a JPEG 2000 image", "Export it as JPEG, PNG or PDF and send that"
    text = _decode_head(head)
    stripped = text.lstrip().lower()
    root = _xml_root(head)
    if root == "html" or stripped.startswith(("<html", "<head", "<body", "<!doctype html")):
        return ("an HTML page (often a login or error page saved instead of the invoice)",
                "Open the link in a browser, download the invoice PDF itself and send that")
    if root == "svg":
        return "an SVG drawing", "Export it as PDF or PNG and send that"
    if re.match(r"(from|received|return-path|mime-version|delivered-to|message-id|date|subject):",
                stripped):
        return "an e-mail message", "Send the invoice attached to the e-mail, not the e-mail itself"
    if head and _is_text(head):
        return "a plain-text file", "Send the invoice as PDF or as a photo or scan"
    return None


def _is_text(head: bytes) -> bool:
    """True for printable UTF-8 text (a CSV, a note); used only to describe a refusal."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may end mid-character; allow for that one cut.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


# ------------------------------------------------------------------------------------------------- validation


def validate_file(path: Path) -> FileInfo:
    """Validate the file at ``path`` without decoding it; raise :class:`ExtractionError` if it cannot be read.

    The size comes from ``stat`` before a single byte is read, so a 5 GB file (or ``/dev/zero``, a FIFO, a
    directory) is refused without touching it. The rest is shared with :func:`validate_bytes`.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ExtractionError(
            "not_found", f"There is no file at '{path}'. Check the path, and that the file was not moved or "
            "deleted.") from None
    except OSError as exc:
        raise ExtractionError(
            "not_found", f"'{path}' cannot be read ({exc.strerror or exc}). Check the path and that the "
            "service is allowed to read it.") from None
    if stat.S_ISDIR(st.st_mode):
        raise ExtractionError("not_found", f"'{path}' is a folder, not a file. Give the path of the invoice "
                                           "file itself.")
    if not stat.S_ISREG(st.st_mode):
        raise ExtractionError("not_found", f"'{path}' is not a regular file (a device, pipe or socket). Give "
                                           "the path of the invoice file itself.")
    _check_size(st.st_size, name)
    try:
        with path.open("rb") as fh:
            # Never more than the limit plus one byte, even if the file grew since stat().
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ExtractionError(
            "not_found", f"'{path}' cannot be read ({exc.strerror or exc}). Check that the service is "
            "allowed to read it.") from None
    return _validate(data, name)


def validate_bytes(data: bytes, name: str) -> FileInfo:
    """Validate an upload held in memory. ``name`` is used in messages only, never to decide the type."""
    _check_size(len(data), name)  # before bytes() below could copy an oversized bytearray/memoryview
    return _validate(bytes(data), name)


def _validate(data: bytes, name: str) -> FileInfo:
    """The checks common to files and uploads: size, type by magic bytes, then the type's own checks."""
    _check_size(len(data), name)
    mime = sniff(data[:HEAD_BYTES])
    if mime is None:
        raise _unsupported(data[:HEAD_BYTES], name)
    if mime == _PDF:
        return _validate_pdf(data, mime)
    if mime == _XML:
        return _validate_xml(data, mime)
    return _validate_image(data, mime)


def _check_size(size: int, name: str) -> None:
    if size == 0:
        raise ExtractionError(
            "empty",
            f"'{name}' is empty (0 bytes); the upload or download probably failed. Send the file again.")
    if size > MAX_FILE_BYTES:
        raise ExtractionError(
            "too_large",
            f"'{name}' is {size / _MIB:,.1f} MB; the limit is {MAX_FILE_BYTES // _MIB} MB. Send a smaller "
            "file: split a PDF that holds several invoices, or scan at 300 dpi or less.")


#: File-name suffixes of supported types, only to point out a misleading name in a refusal.
_NAMED_LIKE: dict[str, str] = {
    ".pdf": "a PDF", ".png": "a PNG image", ".jpg": "a JPEG image", ".jpeg": "a JPEG image",
    ".tif": "a TIFF image", ".tiff": "a TIFF image", ".gif": "a GIF image", ".bmp": "a BMP image",
    ".webp": "a WebP image", ".xml": "an XML file",
}


def _unsupported(head: bytes, name: str) -> ExtractionError:
    described = _describe(head)
    looks = described[0] if described else "of a type that is not recognised"
    hint = described[1] if described else "Send the invoice as a PDF or as a photo or scan"
    named_like = _NAMED_LIKE.get(Path(name).suffix.lower())
    what = f"is named like {named_like} but is {looks}" if named_like else f"is {looks}"
    return ExtractionError(
        "unsupported_type",
        f"'{name}' {what}, which this service cannot read. {hint}. Supported files: {SUPPORTED_TYPES}.")


# PDF name tokens end at whitespace or a delimiter; the look-ahead keeps /JSON or /Launcher from matching.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|OpenAction)(?=[\s()<>\[\]{}/%]|$)")
_HARMLESS_OPEN_ACTION = re.compile(rb"/OpenAction\s*(\[|<<\s*/S\s*/GoTo\b|<<\s*/D\s*\[)")

JAVASCRIPT_WARNING = "the PDF contains JavaScript; it was read, not run"
LAUNCH_WARNING = "the PDF contains a Launch action (it asks to start another program); it was read, not run"
OPEN_ACTION_WARNING = "the PDF asks to run an action when it is opened; it was read, not run"
TRUNCATED_WARNING = ("the PDF has no end-of-file marker, so it may be cut off and pages may be missing; "
                     "if the result is incomplete, ask the sender for a new copy")


def _validate_pdf(data: bytes, mime: str) -> FileInfo:
    """Count pages with PDFium and look for active content, without rendering anything.

    PDFium runs document JavaScript only through a form environment (``FPDFDOC_InitFormFillEnvironment``,
    pypdfium2's ``init_forms``); nothing here creates one, so scripts are inert. We still say they are there.

    PDFium is not thread-safe: callers that run validation and extraction on several threads must serialise
    all PDFium calls (one process-wide lock, or one worker process per job).
    """
    warnings_: list[str] = []
    if b"%%EOF" not in data[-4096:]:
        warnings_.append(TRUNCATED_WARNING)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _pdf_open_error(exc) from None
    try:
        pages = len(pdf)
        js_actions = pdfium_c.FPDFDoc_GetJavaScriptActionCount(pdf.raw)
    finally:
        pdf.close()
    if pages > MAX_PDF_PAGES:
        raise ExtractionError(
            "too_many_pages", f"The PDF has {pages:,} pages; the limit is {MAX_PDF_PAGES} pages per file. "
            "Split it into smaller files (one invoice per file is best) and send them again.")
    warnings_.extend(_active_content_warnings(data, js_actions))
    return FileInfo(kind="pdf", mime=mime, size=len(data), pages=pages, width=None, height=None,
                    warnings=warnings_)


def _pdf_open_error(exc: pdfium.PdfiumError) -> ExtractionError:
    code = getattr(exc, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return ExtractionError(
            "encrypted", "The PDF is password-protected, so it cannot be read. Ask the sender for a copy "
            "without a password, or open it and print it to a new PDF, then send that.")
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return ExtractionError(
            "encrypted", "The PDF is protected with an encryption scheme that cannot be opened here (for "
            "example a certificate). Ask the sender for an unprotected copy.")
    if code in (None, pdfium_c.FPDF_ERR_SUCCESS):
        # pypdfium2 raises when the page count is below 1 even if PDFium reported no error.
        return ExtractionError(
            "corrupt", "The PDF has no pages. Ask the sender for a new copy of the invoice.")
    return ExtractionError(
        "corrupt", "The PDF is damaged or incomplete and cannot be opened (it may have been cut off during "
        "upload or download). Download it again or ask the sender for a new copy.")


def _active_content_warnings(data: bytes, js_actions: int) -> list[str]:
    """Cheap byte scan plus PDFium's document-level JavaScript count.

    The scan sees names in plain objects; PDFium's count also sees document scripts whose names are
    hex-escaped or that sit in compressed object streams (it parses the Names tree). Neither finds every
    script (page or field actions inside object streams), which is fine: this is a heads-up for the clerk,
    not a defence, since nothing here runs them.
    """
    found = {m.group(1) for m in _PDF_ACTIVE.finditer(data)}
    out: list[str] = []
    if js_actions > 0 or found & {b"JavaScript", b"JS"}:
        out.append(JAVASCRIPT_WARNING)
    if b"Launch" in found:
        out.append(LAUNCH_WARNING)
    if not out and b"OpenAction" in found:
        # Most /OpenAction entries just open at page 1; mention only those that are not a plain destination.
        opens = len(re.findall(rb"/OpenAction(?=[\s()<>\[\]{}/%])", data))
        if opens > len(_HARMLESS_OPEN_ACTION.findall(data)):
            out.append(OPEN_ACTION_WARNING)
    return out


class _EntityDeclared(Exception):
    """Raised from the expat handler to stop at the first entity declaration."""


def _validate_xml(data: bytes, mime: str) -> FileInfo:
    """Check the XML is well-formed and declares no entities, by streaming it through expat.

    No tree is built, so memory stays flat whatever the size. E-invoice formats (UBL, CII, XRechnung,
    ZUGFeRD XML) never declare entities; a file that does is an attack (billion laughs, external entity) or
    not an invoice.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_entity(*_args: object) -> None:
        raise _EntityDeclared

    parser.EntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_entity
    try:
        parser.Parse(data, True)
    except _EntityDeclared:
        raise ExtractionError(
            "unsupported_type",
            "The XML file declares entities (a DOCTYPE with <!ENTITY ...>), which is refused because it can "
            "be used to attack the reader; e-invoices never need it. Export the e-invoice again from the "
            "sender's system, or send the invoice as PDF.") from None
    except expat.ExpatError as exc:
        raise ExtractionError(
            "corrupt",
            f"The XML file is not well-formed ({expat.ErrorString(exc.code)} at line {exc.lineno}, column "
            f"{exc.offset + 1}); it may be cut off. Download it again or ask the sender for a new copy."
        ) from None
    return FileInfo(kind="xml", mime=mime, size=len(data), pages=1, width=None, height=None, warnings=[])


def _validate_image(data: bytes, mime: str) -> FileInfo:
    """Read dimensions (and TIFF frame count) from the headers with Pillow's lazy open; decode nothing."""
    fmt = _PIL_FORMATS[mime]
    with warnings.catch_warnings(record=True) as caught:
        # Recording (not raising) keeps the check local: Pillow warns between 1x and 2x MAX_IMAGE_PIXELS.
        warnings.simplefilter("always", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as im:
                info = _inspect_image(im, mime, len(data))
        except ExtractionError:
            raise
        except Image.DecompressionBombError:
            raise _too_large_image(None) from None
        except Exception:  # Pillow plugins raise many types on hostile input; all of them mean "corrupt"
            raise _corrupt_image(fmt) from None
    if any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught):
        raise _too_large_image(None)
    for w in caught:  # pass on anything else Pillow had to say (e.g. corrupt EXIF) instead of swallowing it
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return info


def _inspect_image(im: Image.Image, mime: str, size: int) -> FileInfo:
    width, height = im.size
    _check_sides(width, height)
    frames = 1
    warnings_: list[str] = []
    if mime == "image/tiff":
        frames, total = 1, width * height
        # Walk the frame chain only as far as the limit: never more than MAX_TIFF_FRAMES + 1 header reads.
        while frames <= MAX_TIFF_FRAMES:
            try:
                im.seek(frames)
            except EOFError:
                break
            _check_sides(*im.size)
            total += im.size[0] * im.size[1]
            frames += 1
        if frames > MAX_TIFF_FRAMES:
            raise ExtractionError(
                "too_many_frames",
                f"The TIFF has more than {MAX_TIFF_FRAMES} pages (frames); the limit is {MAX_TIFF_FRAMES}. "
                "Split it into smaller files, or scan the invoices to PDF, and send them again.")
        if total > MAX_IMAGE_TOTAL_PIXELS:
            raise _too_large_image(None)
        im.seek(0)
    elif mime in ("image/gif", "image/webp") and getattr(im, "n_frames", 1) > 1:
        warnings_.append(f"the image is animated ({im.n_frames} frames); only the first frame is read")
    if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
        raise ExtractionError(
            "image_too_small",
            f"The image is only {width} x {height} pixels; at least {MIN_IMAGE_SIDE} pixels per side are "
            "needed to read any text. Send the full-size photo or scan, not a thumbnail or icon.")
    if mime == "image/png":
        # Checks every chunk's CRC without inflating the pixel data: catches truncated and bit-rotted PNGs
        # now rather than halfway through OCR. Pillow has no such cheap check for other formats.
        im.verify()
    return FileInfo(kind="image", mime=mime, size=size, pages=frames, width=width, height=height,
                    warnings=warnings_)


def _check_sides(width: int, height: int) -> None:
    if width > MAX_IMAGE_PIXELS_SIDE or height > MAX_IMAGE_PIXELS_SIDE:
        raise _too_large_image((width, height))


def _too_large_image(dims: tuple[int, int] | None) -> ExtractionError:
    what = f"is {dims[0]:,} x {dims[1]:,} pixels" if dims else "declares an enormous size (it may be a " \
        "decompression bomb)"
    return ExtractionError(
        "image_too_large", f"The image {what}; the limit is {MAX_IMAGE_PIXELS_SIDE:,} pixels per side and "
        f"{MAX_IMAGE_TOTAL_PIXELS // 1_000_000} megapixels in all. Scan or photograph at 300 dpi or less, or "
        "resize it, and send it again.")


def _corrupt_image(fmt: str) -> ExtractionError:
    return ExtractionError(
        "corrupt", f"The {fmt} image is damaged or incomplete and cannot be opened (it may have been cut off "
        "during upload or download). Download it again or ask the sender for a new copy.")
