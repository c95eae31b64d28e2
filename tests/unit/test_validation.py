"""Input validation: every bad file gives its stable code and a one-line message that says what to do.

The bad files are made at test time by ``tests/badfiles.py`` (no binary fixtures in the repository).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from invoice_capture.extraction.model import ExtractionError
from invoice_capture.ingest import validation
from invoice_capture.ingest.validation import (
    JAVASCRIPT_WARNING,
    MAX_FILE_BYTES,
    MAX_PDF_PAGES,
    TRUNCATED_WARNING,
    FileInfo,
    sniff,
    validate_bytes,
    validate_file,
)

TESTS_DIR = Path(__file__).resolve().parents[1]
SRC_DIR = TESTS_DIR.parent / "src"


def _load_badfiles() -> ModuleType:
    """Import tests/badfiles.py by path: tests/ is not a package, so this works however pytest is started."""
    if "badfiles" in sys.modules:
        return sys.modules["badfiles"]
    spec = importlib.util.spec_from_file_location("badfiles", TESTS_DIR / "badfiles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["badfiles"] = module
    spec.loader.exec_module(module)
    return module


badfiles = _load_badfiles()


def _refusal(path: Path) -> ExtractionError:
    with pytest.raises(ExtractionError) as info:
        validate_file(path)
    return info.value


def _assert_human(err: ExtractionError, *hints: str) -> None:
    """One line, a sentence, and the words that tell the clerk what to do."""
    assert err.message and "\n" not in err.message
    assert "Traceback" not in err.message and "Pdfium" not in err.message
    assert err.message.rstrip().endswith(".")
    for hint in hints:
        assert hint.lower() in err.message.lower(), (hint, err.message)


# (maker, expected code, words the message must contain: what is wrong and what to do)
REFUSALS: list[tuple[str, str, tuple[str, ...]]] = [
    ("zero_byte", "empty", ("empty", "send the file again")),
    ("truncated_pdf", "corrupt", ("damaged or incomplete", "new copy")),
    ("corrupt_pdf", "corrupt", ("damaged or incomplete", "new copy")),
    ("encrypted_pdf", "encrypted", ("password", "without a password")),
    ("many_pages_pdf", "too_many_pages", ("2,001 pages", f"limit is {MAX_PDF_PAGES} pages", "split")),
    ("huge_image", "image_too_large", ("12,000 x 12,000", "10,000", "resize")),
    ("decompression_bomb", "image_too_large", ("decompression bomb", "10,000", "resize")),
    ("tiny_image", "image_too_small", ("30 x 30", "50 pixels", "full-size")),
    ("exe_renamed_pdf", "unsupported_type", ("named like a PDF", "Windows executable", "Supported files")),
    ("zip_renamed_png", "unsupported_type", ("named like a PNG", "ZIP archive", "unzip", "Supported files")),
    ("html_renamed_pdf", "unsupported_type", ("named like a PDF", "HTML page", "download the invoice PDF")),
    ("oversized_file", "too_large", ("51.0 MB", "limit is 50 MB", "split")),
    ("tiff_many_frames", "too_many_frames", ("more than 50", "split")),
    ("truncated_png", "corrupt", ("PNG", "damaged or incomplete", "new copy")),
    ("xml_with_entities", "unsupported_type", ("entities", "export the e-invoice again")),
    ("broken_xml", "corrupt", ("not well-formed", "new copy")),
]


@pytest.mark.parametrize(("maker", "code", "hints"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_file_is_refused_with_code_and_hint(
    tmp_path: Path, maker: str, code: str, hints: tuple[str, ...]
) -> None:
    err = _refusal(badfiles.BAD_FILES[maker](tmp_path))
    assert err.code == code, err.message
    _assert_human(err, *hints)


def test_every_bad_file_maker_is_covered() -> None:
    covered = {r[0] for r in REFUSALS} | {"javascript_pdf", "hidden_javascript_pdf"}
    assert covered == set(badfiles.BAD_FILES)


def test_not_found(tmp_path: Path) -> None:
    err = _refusal(tmp_path / "missing.pdf")
    assert err.code == "not_found"
    _assert_human(err, "missing.pdf", "check the path")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    err = _refusal(tmp_path)
    assert err.code == "not_found"
    _assert_human(err, "folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """Opening a FIFO with no writer blocks forever; validation must decide from stat() alone."""
    fifo = tmp_path / "invoice.pdf"
    os.mkfifo(fifo)
    err = _refusal(fifo)
    assert err.code == "not_found"
    _assert_human(err, "not a regular file")


def test_oversized_file_is_refused_from_stat_without_reading(tmp_path: Path, monkeypatch) -> None:
    path = badfiles.oversized_file(tmp_path)
    assert path.stat().st_size > MAX_FILE_BYTES
    assert path.stat().st_blocks * 512 < 1024 * 1024  # sparse: the test costs no disk

    def no_open(*_a: object, **_k: object) -> None:
        raise AssertionError("the file was opened although stat() already showed it is too large")

    monkeypatch.setattr(Path, "open", no_open)
    assert _refusal(path).code == "too_large"


def test_encrypted_is_pdfium_password_error(tmp_path: Path) -> None:
    """Pins what PDFium reports for reportlab's encryption: the 'encrypted' mapping relies on it."""
    with pytest.raises(pdfium.PdfiumError) as info:
        pdfium.PdfDocument(badfiles.encrypted_pdf(tmp_path).read_bytes())
    assert info.value.err_code == pdfium_c.FPDF_ERR_PASSWORD


def test_truncation_at_every_point_gives_corrupt_or_readable(tmp_path: Path) -> None:
    """PDFium never hangs or crashes on a cut-off PDF: it refuses (no trailer) or recovers all pages."""
    data = badfiles.real_pdf_bytes(pages=2)
    outcomes = set()
    for cut in range(1, len(data), 37):
        try:
            info = validate_bytes(data[:cut], "cut.pdf")
        except ExtractionError as err:
            assert err.code in ("corrupt", "unsupported_type"), err.message  # < 5 bytes is not even "%PDF-"
            outcomes.add(err.code)
        else:
            assert info.pages == 2
            assert TRUNCATED_WARNING in info.warnings
            outcomes.add("readable")
    assert "corrupt" in outcomes


def test_pdf_missing_only_its_end_marker_is_read_with_a_warning() -> None:
    data = badfiles.real_pdf_bytes(pages=3)
    assert data.rstrip().endswith(b"%%EOF")
    info = validate_bytes(data.rstrip()[: -len(b"%%EOF")], "cut.pdf")
    assert info.pages == 3
    assert info.warnings == [TRUNCATED_WARNING]


# --------------------------------------------------------------------------------------------- JavaScript


@pytest.mark.parametrize("maker", ["javascript_pdf", "hidden_javascript_pdf"])
def test_javascript_pdf_passes_with_warning(tmp_path: Path, maker: str, monkeypatch) -> None:
    """Accepted with the warning, and nothing creates the form environment through which PDFium runs JS."""

    def forbidden(*_a: object, **_k: object) -> None:
        raise AssertionError("a PDFium form environment was initialised during validation")

    monkeypatch.setattr(pdfium_c, "FPDFDOC_InitFormFillEnvironment", forbidden)
    monkeypatch.setattr(pdfium.PdfDocument, "init_forms", forbidden)
    path = badfiles.BAD_FILES[maker](tmp_path)
    info = validate_file(path)
    assert info.kind == "pdf" and info.pages == 1
    assert info.warnings == [JAVASCRIPT_WARNING]


def test_javascript_pdf_is_still_readable(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument(badfiles.javascript_pdf(tmp_path).read_bytes())
    try:
        page = pdf[0]
        textpage = page.get_textpage()
        assert textpage.get_text_range() == "Invoice 123"
        textpage.close()
        page.close()
    finally:
        pdf.close()


def test_hidden_javascript_is_found_by_pdfium_not_by_the_byte_scan(tmp_path: Path) -> None:
    data = badfiles.hidden_javascript_pdf(tmp_path).read_bytes()
    assert b"/JavaScript" not in data and b"/JS " not in data
    assert validation._active_content_warnings(data, js_actions=0) == []


@pytest.mark.parametrize(
    ("catalog_extra", "expected"),
    [
        (b"/OpenAction [3 0 R /Fit]", []),
        (b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>", []),
        (b"/OpenAction << /S /Launch /F (calc.exe) >>", [validation.LAUNCH_WARNING]),
        (b"/OpenAction << /S /URI /URI (http://example.com) >>", [validation.OPEN_ACTION_WARNING]),
        (b"/OpenAction << /S /JavaScript /JS 5 0 R >>", [JAVASCRIPT_WARNING]),
        (b"/JSON (a key that merely starts with JS)", []),
    ],
)
def test_open_action_warnings(catalog_extra: bytes, expected: list[str]) -> None:
    """A plain 'open at page 1' is not worth a warning; actions that do something are."""
    data = badfiles.raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ])
    assert validate_bytes(data, "a.pdf").warnings == expected


# ------------------------------------------------------------------------------------------- good files


@pytest.mark.parametrize(
    ("maker", "expected"),
    [
        ("valid_pdf", FileInfo("pdf", "application/pdf", 0, 3, None, None, [])),
        ("valid_png", FileInfo("image", "image/png", 0, 1, 600, 400, [])),
        ("valid_jpeg", FileInfo("image", "image/jpeg", 0, 1, 600, 400, [])),
        ("valid_tiff", FileInfo("image", "image/tiff", 0, 2, 600, 400, [])),
        ("valid_xml", FileInfo("xml", "application/xml", 0, 1, None, None, [])),
    ],
)
def test_valid_files_pass(tmp_path: Path, maker: str, expected: FileInfo) -> None:
    path = badfiles.GOOD_FILES[maker](tmp_path)
    expected.size = path.stat().st_size
    assert validate_file(path) == expected


def test_gif_bmp_webp_pass(tmp_path: Path) -> None:
    from PIL import Image

    im = Image.new("RGB", (120, 80), "white")
    for fmt, mime in (("GIF", "image/gif"), ("BMP", "image/bmp"), ("WEBP", "image/webp")):
        path = tmp_path / f"x.{fmt.lower()}"
        im.save(path, fmt)
        info = validate_file(path)
        assert (info.kind, info.mime, info.width, info.height, info.pages) == ("image", mime, 120, 80, 1)


def test_animated_gif_warns_first_frame_only(tmp_path: Path) -> None:
    from PIL import Image

    frames = [Image.new("L", (100, 100), c) for c in (0, 128, 255)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:])
    assert validate_file(path).warnings == ["the image is animated (3 frames); only the first frame is read"]


def test_file_name_never_decides_the_type(tmp_path: Path) -> None:
    png = badfiles.valid_png(tmp_path).read_bytes()
    assert validate_bytes(png, "invoice.pdf").mime == "image/png"
    assert validate_bytes(png, "no-extension").kind == "image"


# ------------------------------------------------------------------------------------ bytes == file paths


@pytest.mark.parametrize("maker", sorted({**badfiles.BAD_FILES, **badfiles.GOOD_FILES}))
def test_validate_bytes_agrees_with_validate_file(tmp_path: Path, maker: str) -> None:
    makers: dict[str, Callable[[Path], Path]] = {**badfiles.BAD_FILES, **badfiles.GOOD_FILES}
    path = makers[maker](tmp_path)

    def outcome(fn: Callable[[], FileInfo]) -> object:
        try:
            return fn()
        except ExtractionError as err:
            return (err.code, err.message)

    from_file = outcome(lambda: validate_file(path))
    assert from_file == outcome(lambda: validate_bytes(path.read_bytes(), path.name))


# ----------------------------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x00" * 500 + b"%PDF-1.4\n", "application/pdf"),  # junk before the header, as readers allow
        (b"\x00" * 1100 + b"%PDF-1.4\n", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"BM" + b"\x00" * 12 + b"\x28\x00\x00\x00", "image/bmp"),
        (b"BMW invoice, plain text", None),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b'<?xml version="1.0"?><Invoice/>', "application/xml"),
        (b"\xef\xbb\xbf  \n<!-- exported --><rsm:CrossIndustryInvoice xmlns:rsm='x'/>", "application/xml"),
        ('<?xml version="1.0" encoding="UTF-16"?><Invoice/>'.encode("utf-16"), "application/xml"),
        (b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ELEMENT Invoice ANY>]><Invoice/>', "application/xml"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", None),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', None),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b"PK\x03\x04\x14\x00\x00\x00[Content_Types].xml", None),
        (b"MZ\x90\x00", None),
        (b"\x7fELF\x02\x01", None),
        (b"Invoice 100, total 110.00", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, mime: str | None) -> None:
    assert sniff(head) == mime


@pytest.mark.parametrize(
    ("head", "looks_like"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00[Content_Types].xml", "Microsoft Office document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "Outlook message"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC photo"),
        (b"Received: from mx.example.com\r\nSubject: Invoice\r\n", "e-mail message"),
        (b"\x7fELF\x02\x01\x01", "executable program"),
        (b"\x1f\x8b\x08\x00", "gzip archive"),
        (b"Invoice 100;110.00;EUR\n", "plain-text file"),
        (bytes(range(256)), "not recognised"),
    ],
)
def test_unsupported_type_names_what_the_file_looks_like(head: bytes, looks_like: str) -> None:
    with pytest.raises(ExtractionError) as info:
        validate_bytes(head, "upload.bin")
    assert info.value.code == "unsupported_type"
    _assert_human(info.value, looks_like, "Supported files: PDF")


def test_tiff_pixels_are_summed_over_frames(tmp_path: Path, monkeypatch) -> None:
    path = badfiles.valid_tiff(tmp_path, frames=2)  # 2 x 600 x 400 = 480,000 pixels
    monkeypatch.setattr(validation, "MAX_IMAGE_TOTAL_PIXELS", 300_000)
    assert _refusal(path).code == "image_too_large"


def test_pillow_bomb_guard_uses_the_same_limit() -> None:
    from PIL import Image

    assert Image.MAX_IMAGE_PIXELS == validation.MAX_IMAGE_TOTAL_PIXELS


@pytest.mark.parametrize("mode", ["1", "RGB"])
def test_streamed_png_maker_is_honest(mode: str) -> None:
    """The cheap PNG maker behind huge_image/decompression_bomb writes real, decodable images."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(badfiles.streamed_png(1234, 567, mode))) as im:
        im.load()
        assert (im.mode, im.size) == (mode, (1234, 567))
        assert im.convert("L").getextrema() == (0, 0)


# ------------------------------------------------------------------------------------------------- memory

_RSS_PROBE = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from invoice_capture.extraction.model import ExtractionError
    from invoice_capture.ingest.validation import validate_bytes, validate_file

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    codes = []
    for name in sys.argv[1:]:
        path = Path(name)
        for check in (lambda: validate_file(path), lambda: validate_bytes(path.read_bytes(), path.name)):
            try:
                check()
                codes.append("accepted")
            except ExtractionError as err:
                codes.append(err.code)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"codes": codes, "grown_kib": after - before}))
    """
)


def test_huge_image_and_bomb_refused_without_memory_growth(tmp_path: Path) -> None:
    """Peak RSS (ru_maxrss, KiB on Linux) of a fresh interpreter grows by < 200 MB while refusing both.

    A fresh process, because this one's peak already includes whatever earlier tests did and would hide
    growth. Decoding either file would need 144 MB / 400 MB (mode "1") and three times that as RGB.
    """
    files = [badfiles.huge_image(tmp_path / "a"), badfiles.decompression_bomb(tmp_path / "b")]
    pythonpath = os.pathsep.join(filter(None, [str(SRC_DIR), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, *map(str, files)],
        capture_output=True, text=True, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["codes"] == ["image_too_large"] * 4
    assert result["grown_kib"] < 200 * 1024


def test_in_process_rss_growth_is_small(tmp_path: Path) -> None:
    """The same check in this process, as a second opinion (it can only under-report, never over-report)."""
    import resource

    files = [badfiles.huge_image(tmp_path / "a"), badfiles.decompression_bomb(tmp_path / "b")]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for path in files:
        assert _refusal(path).code == "image_too_large"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024
