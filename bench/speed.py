"""Extraction speed on one core: median and p95 per modality, over the dev set (and a synthetic set if given).

Usage: python bench/speed.py [--labels ../shared/data/invoices/labels.jsonl] [--labels bench/out/synth/labels.jsonl]
       [--repeat 3] [--einvoice]

Runs in-process on CPU 0 only (sched_setaffinity), after one warm-up file so that loading the OCR model is not
counted per file (the service keeps its worker warm); the first-file time is printed separately. Visual path by
default (e-invoice XML off), since that is the path with a budget: 0.3 s per one-page digital PDF, 3 s per scan.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from invoice_capture.extraction.engine import extract_path
from invoice_capture.extraction.evaluate import modality_group
from invoice_capture.extraction.model import ExtractionError

DEFAULT_LABELS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "invoices" / "labels.jsonl"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", action="append", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--einvoice", action="store_true", help="let embedded XML answer (fast path)")
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {0})
    except (AttributeError, OSError):
        print("note: could not pin to one core", file=sys.stderr)
    labels = args.labels or [DEFAULT_LABELS]
    docs: list[tuple[Path, str, int]] = []
    for lp in labels:
        for line in lp.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                docs.append((lp.parent / d["file"], modality_group(d.get("modality", "")), 0))
    t0 = time.perf_counter()
    first = next((p for p, m, _ in docs if m != "digital_pdf"), docs[0][0])
    extract_path(first, einvoice=args.einvoice)
    print(f"first file incl. OCR model load: {time.perf_counter() - t0:.2f} s ({first.name})")
    times: dict[str, list[float]] = defaultdict(list)
    per_page: dict[str, list[float]] = defaultdict(list)
    for path, group, _ in docs:
        for _ in range(args.repeat):
            t = time.perf_counter()
            try:
                res = extract_path(path, einvoice=args.einvoice)
                pages = max(1, res.pages)
            except ExtractionError:
                pages = 1
            dt = time.perf_counter() - t
            key = f"{group}{'' if pages == 1 else ' (multi-page)'}"
            times[key].append(dt)
            per_page[group].append(dt / pages)
    print(f"{'modality':<26}{'files':>6}{'median s':>10}{'p95 s':>9}{'max s':>9}")
    for key, ts in sorted(times.items()):
        print(f"{key:<26}{len(ts) // args.repeat:>6}{statistics.median(ts):>10.3f}{pct(ts, 0.95):>9.3f}"
              f"{max(ts):>9.3f}")
    print(f"{'per page':<26}")
    for key, ts in sorted(per_page.items()):
        print(f"  {key:<24}{'':>6}{statistics.median(ts):>10.3f}{pct(ts, 0.95):>9.3f}{max(ts):>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
