"""Measure extraction against a labelled set (the format of ../shared/data/invoices/labels.jsonl).

The numbers that matter to an AP team: is a value right (per field, per modality, per language), are the line
items there (F1), and can the confidence be trusted (of the answers given with confidence >= 0.9, how many are
right, and how many wrong ones slipped through). A labelled field the engine left out counts as a miss; a field
the labels do not mention is not scored (the labels say "not labelled", not "absent").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invoice_capture.extraction.model import AMOUNT_FIELDS, HEADER_FIELDS, KEY_FIELDS

HIGH = 0.9

_ADDRESS_FIELDS = {f for f in HEADER_FIELDS if "Address" in f}


def _norm_text(s: Any) -> str:
    s = unicodedata.normalize("NFKC", str(s)).casefold()
    s = re.sub(r"[\s,.;:'\"’`´\-_/()]+", " ", s)
    return s.strip()


def _norm_compact(s: Any) -> str:
    return re.sub(r"[^0-9a-zäöüßàâçéèêëîïôûùüÿñæœ]", "", unicodedata.normalize("NFKC", str(s)).casefold())


def values_match(name: str, expected: Any, got: Any) -> bool:
    """Field-aware equality: amounts to the cent, dates exactly, ids and names without case/punctuation noise."""
    if got is None:
        return False
    if name in AMOUNT_FIELDS or name in {"Amount", "UnitPrice", "Quantity", "Tax", "TaxRate"}:
        try:
            return abs(float(expected) - float(got)) < 0.006
        except (TypeError, ValueError):
            return False
    if name == "PaymentDetails":
        exp = {_norm_compact(d.get("IBAN", "")) for d in expected or []}
        have = {_norm_compact(d.get("IBAN", "")) for d in got or []}
        return bool(exp) and exp <= have
    if name in _ADDRESS_FIELDS:
        return _norm_compact(expected) == _norm_compact(got)
    if name in {"InvoiceId", "PurchaseOrder", "CustomerId", "VendorTaxId", "CustomerTaxId"}:
        return _norm_compact(expected) == _norm_compact(got)
    return _norm_text(expected) == _norm_text(got)


def modality_group(modality: str) -> str:
    m = modality.lower()
    if m.startswith("digital"):
        return "digital_pdf"
    if "photo" in m:
        return "photo"
    return "image"


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += int(ok)

    @property
    def acc(self) -> float:
        return self.right / self.total if self.total else float("nan")


@dataclass
class Report:
    docs: int = 0
    errors: list[str] = field(default_factory=list)
    per_field: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_modality: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    key_by_modality: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    high: Tally = field(default_factory=Tally)
    high_wrong: list[str] = field(default_factory=list)
    items_tp: int = 0
    items_fp: int = 0
    items_fn: int = 0
    misses: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def item_f1(self) -> float:
        p = self.items_tp / (self.items_tp + self.items_fp) if self.items_tp + self.items_fp else 0.0
        r = self.items_tp / (self.items_tp + self.items_fn) if self.items_tp + self.items_fn else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def key_accuracy(self, modality: str | None = None) -> float:
        if modality:
            return self.key_by_modality[modality].acc
        t = Tally()
        for tl in self.key_by_modality.values():
            t.right += tl.right
            t.total += tl.total
        return t.acc

    def to_json(self) -> dict[str, Any]:
        return {
            "docs": self.docs,
            "errors": self.errors,
            "per_field": {k: [v.right, v.total] for k, v in sorted(self.per_field.items())},
            "per_modality": {k: [v.right, v.total] for k, v in sorted(self.per_modality.items())},
            "per_language": {k: [v.right, v.total] for k, v in sorted(self.per_language.items())},
            "key_by_modality": {k: [v.right, v.total] for k, v in sorted(self.key_by_modality.items())},
            "high_confidence": [self.high.right, self.high.total],
            "high_confidence_wrong": self.high_wrong,
            "item_f1": round(self.item_f1, 4),
            "misses": self.misses,
        }


def _item_key(item: dict[str, Any]) -> tuple[str, Any]:
    if item.get("Amount") is not None:
        return ("Amount", round(float(item["Amount"]), 2))
    if item.get("UnitPrice") is not None:
        return ("UnitPrice", round(float(item["UnitPrice"]), 2))
    return ("Description", _norm_text(item.get("Description", "")))


def score_items(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) matching items by amount, else by description."""
    pool = defaultdict(int)
    for it in got:
        flat = {k: v.get("value") if isinstance(v, dict) else v for k, v in it.items()}
        for kind in ("Amount", "UnitPrice", "Description"):
            if flat.get(kind) is not None:
                val = round(float(flat[kind]), 2) if kind != "Description" else _norm_text(flat[kind])
                pool[(kind, val)] += 1
    tp = 0
    for it in expected:
        key = _item_key(it)
        if pool.get(key, 0) > 0:
            pool[key] -= 1
            tp += 1
    fn = len(expected) - tp
    fp = max(0, len(got) - tp)
    return tp, fp, fn


def evaluate(labels_path: Path, run: Callable[[str], dict[str, Any]],
             only: Iterable[str] | None = None) -> Report:
    """Run ``run(path) -> contract JSON`` on every labelled document and score it."""
    base = labels_path.parent
    wanted = set(only) if only else None
    rep = Report()
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        if wanted is not None and label["file"] not in wanted:
            continue
        rep.docs += 1
        out = run(str(base / label["file"]))
        if "error" in out:
            rep.errors.append(f"{label['file']}: {out['error']['code']}")
        fields = out.get("fields", {})
        group = modality_group(label.get("modality", ""))
        lang = label.get("language", "?")
        rep.seconds.append(out.get("timings", {}).get("total_s", 0.0))
        for name, expected in (label.get("fields") or {}).items():
            if name not in HEADER_FIELDS:
                continue
            got = fields.get(name)
            ok = values_match(name, expected, got.get("value") if got else None)
            rep.per_field[name].add(ok)
            rep.per_modality[group].add(ok)
            rep.per_language[lang].add(ok)
            if name in KEY_FIELDS:
                rep.key_by_modality[group].add(ok)
            if got and got.get("confidence", 0) >= HIGH:
                rep.high.add(ok)
                if not ok:
                    rep.high_wrong.append(f"{label['file']} {name}: got {got.get('value')!r}, "
                                          f"expected {expected!r} ({got.get('confidence')})")
            if not ok:
                rep.misses.append(f"{label['file']} {name}: got {got.get('value') if got else None!r}, "
                                  f"expected {expected!r}")
        if label.get("items"):
            tp, fp, fn = score_items(label["items"], out.get("items", []))
            rep.items_tp += tp
            rep.items_fp += fp
            rep.items_fn += fn
    return rep


def format_report(rep: Report, verbose: bool = False) -> str:
    lines: list[str] = [f"documents: {rep.docs}   unreadable: {len(rep.errors)}"]
    for e in rep.errors:
        lines.append(f"  error  {e}")

    def table(title: str, rows: dict[str, Tally]) -> None:
        lines.append("")
        lines.append(f"{title:<26}{'accuracy':>9}{'right':>7}{'total':>7}")
        for k, t in sorted(rows.items()):
            lines.append(f"  {k:<24}{t.acc:>9.3f}{t.right:>7}{t.total:>7}")

    table("field", rep.per_field)
    table("modality (all fields)", rep.per_modality)
    table("modality (key fields)", rep.key_by_modality)
    table("language", rep.per_language)
    lines.append("")
    lines.append(f"line items: F1 {rep.item_f1:.3f} (tp {rep.items_tp}, fp {rep.items_fp}, fn {rep.items_fn})")
    lines.append(f"calibration: {rep.high.right}/{rep.high.total} right at confidence >= {HIGH} "
                 f"({rep.high.acc:.3f}); wrong at >= {HIGH}: {len(rep.high_wrong)}")
    for w in rep.high_wrong:
        lines.append(f"  wrong-high  {w}")
    if verbose:
        for m in rep.misses:
            lines.append(f"  miss  {m}")
    if rep.seconds:
        s = sorted(rep.seconds)
        lines.append(f"time per document: median {s[len(s) // 2]:.2f} s, max {s[-1]:.2f} s")
    lines.append(
        f"SUMMARY docs={rep.docs} key_acc={rep.key_accuracy():.3f} "
        + " ".join(f"key_acc_{k}={t.acc:.3f}" for k, t in sorted(rep.key_by_modality.items()))
        + f" item_f1={rep.item_f1:.3f} high_conf_acc={rep.high.acc:.3f} high_conf_wrong={len(rep.high_wrong)}"
        f" errors={len(rep.errors)}"
    )
    return "\n".join(lines)
