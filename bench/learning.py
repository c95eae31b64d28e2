"""Learning from corrections: how the clerk's correction rate falls over a stream of invoices per vendor.

Usage: python bench/learning.py [--vendors 12] [--per-vendor 6] [--scans 3] [--seed 11] [--workers 2]
       [--out bench/out/learning]

Why this shape: what the memory (src/invoice_capture/review/learning.py) can fix are mistakes that repeat per
vendor, so the measure is a stream of invoices from one vendor (bench/synth.py ``make_stream``: same template,
locale and formats, new numbers, dates and items). The invoices of all vendors arrive interleaved (every vendor's
1st, then every vendor's 2nd, ...), so a memory found under another vendor's identity keys would show.

For each invoice the simulated clerk sees the engine's fields (with learning: after ``recall`` with the memory
found through ``identity_keys``), corrects every labelled key field that is wrong (a labelled field left out
counts, as in ``invoice-capture eval``), and the service calls ``learn`` with the fields before and after. The
engine's output is the same in both runs (each file is extracted once), so the difference is the memory alone.

The last ``--scans`` vendors are rendered as scans (OCR, ~2 s a page); the rest as digital PDFs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from invoice_capture.extraction.evaluate import values_match
from invoice_capture.extraction.model import KEY_FIELDS
from invoice_capture.review.learning import SURE, identity_keys, learn, recall

BENCH = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH / "out" / "learning"


def _extract(path: str) -> dict[str, Any]:
    from invoice_capture.extraction.engine import extract_path
    from invoice_capture.extraction.model import ExtractionError

    try:
        return extract_path(Path(path), einvoice=False).to_json()
    except ExtractionError as exc:
        return exc.to_json(path)


def make_streams(out: Path, vendors: int, per_vendor: int, scans: int, seed: int) -> list[list[dict[str, Any]]]:
    """One stream per vendor; locales and layouts are cycled so that every one of them is in the set."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import synth

    locales = list(synth.l10n.LOCALES)
    streams = []
    for v in range(vendors):
        kind = "scan" if v >= vendors - scans else "digital_pdf"
        streams.append(synth.make_stream(out, seed, v, per_vendor, kind, locale=locales[v % len(locales)],
                                         layout=synth.LAYOUTS[(3 * v) % len(synth.LAYOUTS)]))
    return streams


def _value(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else None


class Tally:
    """Corrections per stream position, per field, and how far confidences >= 0.9 can be trusted."""

    def __init__(self) -> None:
        self.invoices: dict[int, int] = defaultdict(int)
        self.fixed: dict[int, int] = defaultdict(int)
        self.any_fixed: dict[int, int] = defaultdict(int)
        self.by_field: dict[str, int] = defaultdict(int)
        self.by_field_later: dict[str, int] = defaultdict(int)
        self.sure = [0, 0]  # right, total of key fields given with confidence >= 0.9
        self.learned = [0, 0]  # right, total of key fields whose value came from the memory
        self.doubted = 0  # confident engine values the memory put below 0.9
        self.doubted_right = 0  # ... of which the engine was right after all
        self.warnings = 0
        self.found_own = 0
        self.found_other = 0
        self.lookups = 0
        self.by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # invoices, fixed, any (2nd on)


def simulate(streams: list[list[dict[str, Any]]], results: dict[str, dict[str, Any]], learning: bool) -> Tally:
    t = Tally()
    memories: dict[int, dict[str, Any]] = {}
    owner: dict[int, int] = {}
    keys_to: dict[str, int] = {}
    for pos in range(max(len(s) for s in streams)):
        for v, stream in enumerate(streams):
            if pos >= len(stream):
                continue
            rec = stream[pos]
            res = results[rec["file"]]
            if "error" in res:
                continue
            truth = rec["fields"]
            fields = res["fields"]
            mid = None
            if learning:
                keys = identity_keys(fields)
                mid = next((keys_to[k] for k in keys if k in keys_to), None)
                if pos > 0:
                    t.lookups += 1
                    t.found_own += mid is not None and owner[mid] == v
                if mid is not None and owner[mid] != v:
                    t.found_other += 1
                if mid is not None:
                    fields, warnings = recall(memories[mid], res)
                    t.warnings += len(warnings)
            wrong = [n for n in KEY_FIELDS if n in truth and not values_match(n, truth[n], _value(fields, n))]
            t.invoices[pos + 1] += 1
            t.fixed[pos + 1] += len(wrong)
            t.any_fixed[pos + 1] += bool(wrong)
            for n in wrong:
                t.by_field[n] += 1
                if pos > 0:
                    t.by_field_later[n] += 1
            if pos > 0:
                kind = t.by_kind[rec["modality"]]
                kind[0], kind[1], kind[2] = kind[0] + 1, kind[1] + len(wrong), kind[2] + bool(wrong)
            for n in KEY_FIELDS:
                f = fields.get(n)
                if n not in truth or not isinstance(f, dict):
                    continue
                ok = n not in wrong
                if float(f.get("confidence", 0)) >= SURE:
                    t.sure[0] += ok
                    t.sure[1] += 1
                if f.get("method") == "learned":
                    t.learned[0] += ok
                    t.learned[1] += 1
                if "suggests" in (f.get("learned") or {}):
                    t.doubted += 1
                    t.doubted_right += ok
            if not learning:
                continue
            after = dict(fields)
            for n in wrong:
                after[n] = {"value": truth[n], "text": str(truth[n]), "confidence": 1.0, "method": "manual"}
            memory = learn(memories.get(mid) if mid is not None else None, res, fields, after)
            if mid is None:
                mid = len(memories)
                owner[mid] = v
            memories[mid] = memory
            # filed under the corrected invoice's keys and the keys it was read with (a misread name too)
            for k in identity_keys(after) + identity_keys(fields):
                keys_to.setdefault(k, mid)
    return t


def report(without: Tally, with_: Tally, elapsed: float, files: int) -> str:
    out = [f"{files} invoices extracted in {elapsed:.1f} s", "",
           f"{'position':<16}{'invoices':>9}{'fields fixed/inv':>26}{'invoices needing a fix':>30}",
           f"{'':<16}{'':>9}{'without':>13}{'with':>13}{'without':>15}{'with':>15}"]
    for pos in sorted(without.invoices):
        n = without.invoices[pos]
        out.append(f"{pos:<16}{n:>9}{without.fixed[pos] / n:>13.2f}{with_.fixed[pos] / n:>13.2f}"
                   f"{100 * without.any_fixed[pos] / n:>14.0f}%{100 * with_.any_fixed[pos] / n:>14.0f}%")
    for label, positions in (("2nd on", [p for p in without.invoices if p > 1]), ("all", list(without.invoices))):
        n = sum(without.invoices[p] for p in positions)
        fw = sum(without.fixed[p] for p in positions)
        fl = sum(with_.fixed[p] for p in positions)
        aw = sum(without.any_fixed[p] for p in positions)
        al = sum(with_.any_fixed[p] for p in positions)
        out.append(f"{label:<16}{n:>9}{fw / n:>13.2f}{fl / n:>13.2f}{100 * aw / n:>14.0f}%{100 * al / n:>14.0f}%")
    for kind in sorted(without.by_kind):
        (n, fw, aw), (_, fl, al) = without.by_kind[kind], with_.by_kind[kind]
        out.append(f"{'2nd on, ' + kind[:7]:<16}{n:>9}{fw / n:>13.2f}{fl / n:>13.2f}{100 * aw / n:>14.0f}%"
                   f"{100 * al / n:>14.0f}%")
    out += ["", "corrections per key field (all positions / 2nd invoice onwards), without -> with learning"]
    for name in KEY_FIELDS:
        a, b = without.by_field.get(name, 0), with_.by_field.get(name, 0)
        a2, b2 = without.by_field_later.get(name, 0), with_.by_field_later.get(name, 0)
        if a or b:
            out.append(f"  {name:<22}{a:>4} -> {b:<4}  ({a2} -> {b2})")
    sw, sl = without.sure, with_.sure
    out += ["",
            f"key fields at confidence >= 0.9 right: without {sw[0]}/{sw[1]} ({sw[0] / max(1, sw[1]):.3f}), "
            f"with {sl[0]}/{sl[1]} ({sl[0] / max(1, sl[1]):.3f})",
            f"values from the memory (method learned): {with_.learned[0]}/{with_.learned[1]} right",
            f"confident engine values the memory doubted: {with_.doubted} ({with_.doubted_right} of them right); "
            f"warnings: {with_.warnings}",
            f"memory lookups (2nd invoice onwards): own vendor's memory found {with_.found_own}/{with_.lookups}; "
            f"another vendor's memory found: {with_.found_other}"]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--vendors", type=int, default=12)
    ap.add_argument("--per-vendor", type=int, default=6)
    ap.add_argument("--scans", type=int, default=3, help="how many of the vendors send scans")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    streams = make_streams(args.out, args.vendors, args.per_vendor, args.scans, args.seed)
    files = [rec["file"] for s in streams for rec in s]
    print(f"generated {len(files)} invoices of {len(streams)} vendors in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    t1 = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("forkserver")) as pool:
        extracted = list(pool.map(_extract, [str(args.out / f) for f in files]))
    results = dict(zip(files, extracted, strict=True))
    elapsed = time.perf_counter() - t1
    errors = [f for f, r in results.items() if "error" in r]
    if errors:
        print(f"unreadable: {errors}", file=sys.stderr)
    print(report(simulate(streams, results, False), simulate(streams, results, True), elapsed, len(files)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
