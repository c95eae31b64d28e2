"""One file in, one ``ExtractedInvoice`` (or one ``ExtractionError``) out.

``extract_path`` does the work in the calling process. ``IsolatedExtractor`` runs it in a long-lived worker
process with a memory ceiling and a per-file deadline: a file that hangs a parser or balloons in memory kills
only its worker (which is restarted), never the CLI or the service, and the caller gets a clear ``timeout`` or
``out_of_memory`` error for that file. The worker is kept between files so that OCR models load once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing as mp
import os
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from PIL import Image, ImageSequence

from invoice_capture.extraction.layout import build_layout
from invoice_capture.extraction.model import ExtractedInvoice, ExtractionError, Page, Word
from invoice_capture.ingest.validation import validate_file

log = logging.getLogger(__name__)

#: Seconds one file may take before its worker is killed (a 50-page scan at ~1 s/page fits).
DEFAULT_TIMEOUT_S = float(os.environ.get("INVOICE_CAPTURE_FILE_TIMEOUT", "120"))
#: Address-space ceiling of the worker process. Validation keeps decoded images under ~300 MB; this is the
#: backstop if something else (a pathological PDF) tries to allocate.
DEFAULT_MEMORY_BYTES = int(os.environ.get("INVOICE_CAPTURE_WORKER_MEMORY", str(3 * 1024**3)))


#: Below this vendor confidence the pictures on page 1 of a text PDF are OCR'd (a pasted-in letterhead).
VENDOR_RETRY_BELOW = 0.75
#: Letterheads are set in large type: 200 dpi reads them as well as 300 at half the OCR time.
REGION_DPI = 200


def extract_path(path: Path, display_name: str | None = None, *, einvoice: bool = True) -> ExtractedInvoice:
    """Extract one file in this process. Raises ``ExtractionError`` for files that cannot be read."""
    t0 = time.perf_counter()
    name = display_name if display_name is not None else str(path)
    info = validate_file(Path(path))
    data = Path(path).read_bytes()
    timings: dict[str, float] = {}
    if info.kind == "xml":
        if not einvoice:
            raise ExtractionError("einvoice_disabled", "This is an e-invoice XML file and e-invoice reading "
                                  "was switched off (--no-einvoice). Run without that switch to read it.")
        from invoice_capture.extraction.einvoice import parse_einvoice

        result = parse_einvoice(data, name)
        result.pages = result.pages or 1
    elif info.kind == "pdf":
        result = _extract_pdf(data, name, einvoice, timings)
    else:
        result = _extract_image(data, name, timings)
    result.file = name
    result.warnings = list(info.warnings) + result.warnings
    timings["total_s"] = time.perf_counter() - t0
    result.timings = timings
    return result


def _visual(pages: list[Page], name: str, timings: dict[str, float], engine_pages: int) -> ExtractedInvoice:
    from invoice_capture.extraction.local import extract_visual

    t = time.perf_counter()
    layout = build_layout(pages)
    fields, items, warnings, language = extract_visual(layout)
    timings["fields_s"] = time.perf_counter() - t
    if not any(p.words for p in pages):
        warnings.append("No text could be read from this document: is it blank, or a photo too blurred to read?")
    return ExtractedInvoice(file=name, engine="local", pages=engine_pages, fields=fields, items=items,
                            content=layout.text(), warnings=warnings, source="visual", language=language)


def _extract_pdf(data: bytes, name: str, einvoice: bool, timings: dict[str, float]) -> ExtractedInvoice:
    from invoice_capture.extraction.pdf import (
        image_regions,
        open_pdf,
        render_page,
        text_layer_is_usable,
        text_layer_words,
    )

    with open_pdf(data) as pdf:
        n = len(pdf)
        if einvoice:
            from invoice_capture.extraction.einvoice import embedded_xml_from_pdf, parse_einvoice

            t = time.perf_counter()
            found = embedded_xml_from_pdf(pdf)
            if found is not None:
                attachment, xml = found
                try:
                    result = parse_einvoice(xml, name)
                except ExtractionError as exc:
                    log.info("embedded XML %s not usable (%s); reading the PDF visually", attachment, exc.code)
                else:
                    timings["einvoice_s"] = time.perf_counter() - t
                    result.pages = n
                    return result
        pages: list[Page] = []
        regions: dict[int, list[tuple[float, float, float, float]]] = {}
        t_text = t_ocr = 0.0
        for i in range(n):
            page = pdf[i]
            try:
                t = time.perf_counter()
                tp = text_layer_words(page, i + 1)
                t_text += time.perf_counter() - t
                t = time.perf_counter()
                if not text_layer_is_usable(tp):
                    img = render_page(page)
                    op = _ocr(img, i + 1)
                    # report OCR boxes in PDF points like text-layer boxes, so every PDF page has one unit
                    k = max(tp.width, tp.height) / max(op.width, op.height)
                    pages.append(_scale_page(op, k))
                else:
                    if i == 0:
                        regions[i] = image_regions(page, tp)
                    pages.append(tp)
                t_ocr += time.perf_counter() - t
            finally:
                page.close()
        result = _visual(pages, name, timings, n)
        # A letterhead pasted in as a picture hides the vendor from the text layer. Reading every logo would
        # cost ~0.5-2 s per PDF, so the pictures of page 1 are read only when the vendor is missing or weak.
        vendor = result.fields.get("VendorName")
        if regions.get(0) and (vendor is None or vendor.confidence < VENDOR_RETRY_BELOW):
            t = time.perf_counter()
            page = pdf[0]
            try:
                for box in regions[0]:
                    pages[0].words.extend(_ocr_region(page, box, 1))
            finally:
                page.close()
            t_ocr += time.perf_counter() - t
            result = _visual(pages, name, timings, n)
    timings["text_s"] = t_text
    if t_ocr > 0.001:
        timings["ocr_s"] = t_ocr
    return result


def _scale_page(page: Page, k: float) -> Page:
    words = [Word(w.text, (w.x0 * k, w.y0 * k, w.x1 * k, w.y1 * k), w.page, w.conf) for w in page.words]
    return Page(page.number, page.width * k, page.height * k, words, page.source, page.rotation)


def _ocr_region(page: Any, box: tuple[float, float, float, float], number: int) -> list[Word]:
    """OCR a pasted-in picture of a text page (only that region is rendered); words come back in page points."""
    from invoice_capture.extraction.ocr import tesseract_page

    width, height = page.get_size()
    scale = REGION_DPI / 72.0
    # pdfium's crop is what to cut from each side: left, bottom, right, top (points, bottom-left origin)
    crop = (box[0], height - box[3], width - box[2], box[1])
    bitmap = page.render(scale=scale, grayscale=True, crop=crop)
    try:
        img = bitmap.to_pil()
    finally:
        bitmap.close()
    if img.width < 20 or img.height < 10:
        return []
    op = tesseract_page(img, number, upright=True)
    k = (box[2] - box[0]) / max(op.width, 1.0)
    return [Word(w.text, (box[0] + w.x0 * k, box[1] + w.y0 * k, box[0] + w.x1 * k, box[1] + w.y1 * k), number,
                 w.conf) for w in op.words if w.conf > 0.4]


def _ocr(img: Image.Image, number: int) -> Page:
    from invoice_capture.extraction.ocr import ocr_image

    return ocr_image(img, number)


def _extract_image(data: bytes, name: str, timings: dict[str, float]) -> ExtractedInvoice:
    t = time.perf_counter()
    try:
        im = Image.open(io.BytesIO(data))
        frames = [f.copy() for f in ImageSequence.Iterator(im)]
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ExtractionError("corrupt", "The image is damaged or incomplete and cannot be decoded. Send the "
                              "original file again.") from exc
    pages = [_ocr(f, i + 1) for i, f in enumerate(frames)]
    timings["ocr_s"] = time.perf_counter() - t
    return _visual(pages, name, timings, len(pages))


# ---------------------------------------------------------------------------------------------- isolation


def _worker(conn: Connection, memory_bytes: int) -> None:
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            req = conn.recv()
        except EOFError:
            return
        if req is None:
            return
        path, name, einvoice = req
        try:
            conn.send(("ok", extract_path(Path(path), name, einvoice=einvoice).to_json()))
        except ExtractionError as exc:
            conn.send(("error", exc.to_json(name)))
        except MemoryError:
            conn.send(("error", ExtractionError(
                "out_of_memory", "The file needs more memory than one invoice may use; it may be a crafted or "
                "damaged file. Send a smaller scan or a PDF export.").to_json(name)))
        except Exception as exc:  # a bug must not kill the batch; the message names it for the log
            log.exception("extraction failed for %s", name)
            conn.send(("error", ExtractionError(
                "internal_error", f"The file could not be read because of an internal error ({type(exc).__name__})."
                " It has been logged; try again or send the file to support.").to_json(name)))


class IsolatedExtractor:
    """Extract files one by one in a worker process with a deadline and a memory ceiling."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                 start_method: str = "fork") -> None:
        """``start_method="forkserver"`` for a multi-threaded parent (the service): forking a process whose other
        threads may hold locks can deadlock the child; the CLI is single-threaded and forks faster."""
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self._ctx = mp.get_context(start_method)
        if start_method == "forkserver":
            self._ctx.set_forkserver_preload([__name__])
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_worker, args=(child, self.memory_bytes), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def start(self) -> None:
        """Start the worker if it is not running (``extract`` does this too; call it to pay the start-up early)."""
        if self._proc is None or not self._proc.is_alive():
            self._start()

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        self._proc = self._conn = None

    def extract(self, path: str, *, einvoice: bool = True, name: str | None = None) -> dict[str, Any]:
        """The contract's JSON object for ``path`` (reported as ``name``): a result, or ``{"file", "error"}``."""
        self.start()
        assert self._conn is not None
        name = name if name is not None else path
        self._conn.send((path, name, einvoice))
        if self._conn.poll(self.timeout_s):
            try:
                _status, payload = self._conn.recv()
                return payload
            except EOFError:
                pass
            self._stop()
            return ExtractionError("crashed", "Reading this file crashed the reader; it may be damaged or "
                                   "crafted. Send the original again or a PDF export.").to_json(name)
        self._stop()
        return ExtractionError(
            "timeout", f"Reading this file took longer than {self.timeout_s:.0f} s and was stopped. A very large "
            "or unusual scan can do this: send a smaller scan (300 dpi) or a PDF export.").to_json(name)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send(None)
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.kill()
        self._proc = self._conn = None

    def __enter__(self) -> IsolatedExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
