"""Turn recorded Azure prebuilt-invoice responses (API v2.1) into replays in the 2024-11-30 (v4) shape.

The fake Document Intelligence server (tests/fakes/azure_di.py) replays what Azure really returned, so its
answers must come from recordings, not from our imagination. The recordings we have are v2.1; the SDK we use
speaks 2024-11-30. This converter changes the *shape* only:

- ``documentResults[].fields`` -> ``documents[].fields``; ``text`` -> ``content``; ``boundingBox`` + ``page`` ->
  ``boundingRegions[{pageNumber, polygon}]`` (the same 8 numbers, in the page's unit);
- the fields that the v4 prebuilt-invoice schema types as ``currency`` (v2.1 gave them as ``number``) get
  ``valueCurrency.amount`` = the recorded number and ``currencySymbol`` = the symbol printed in the recorded text;
  no ``currencyCode`` is added, because the recording has none;
- the fields that v4 types as ``address`` (v2.1: ``string``) keep the recorded text as ``content``;
  ``valueAddress`` gets only the parts that can be read off that text without judgement (the leading house number,
  a trailing 5-digit US ZIP code and the 2-letter state before it);
- ``readResults`` -> ``pages`` (number, angle, size, unit); ``pageResults[].tables`` -> ``tables``.

What a v2.1 recording lacks stays absent (no ``content`` text without ``includeTextDetails``, no spans, no
document-level confidence, no line items if none were recorded): a replay never contains a value Azure did not
return. ``python -m tests.fakes.azure_di_replays`` rewrites tests/fixtures/azure_di/ from ../shared; a test checks
that the committed replays are exactly what this converter makes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "invoices" / "azure_samples"
REPLAYS = REPO / "tests" / "fixtures" / "azure_di"

#: (document, recorded v2.1 response, replay name) - every replay we ship and where it comes from.
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("sample-invoice.pdf", "sample-invoice-output.json", "sample-invoice"),
)

#: Field types of the prebuilt-invoice model in 2024-11-30 where they differ from v2.1's (number/string).
V4_CURRENCY = frozenset({"SubTotal", "TotalDiscount", "TotalTax", "InvoiceTotal", "AmountDue",
                         "PreviousUnpaidBalance", "Amount", "UnitPrice", "Tax"})
V4_ADDRESS = frozenset({"VendorAddress", "CustomerAddress", "BillingAddress", "ShippingAddress",
                        "RemittanceAddress", "ServiceAddress"})

_SYMBOL = re.compile(r"^\s*([^\d\s.,()+-]+)|([^\d\s.,()+-]+)\s*$")
_US_TAIL = re.compile(r"\b([A-Z]{2}),?\s+(\d{5})(?:-\d{4})?\s*$")
_HOUSE = re.compile(r"^\s*(\d+[A-Za-z]?)\s")


def _region(page: int, box: list[float]) -> list[dict[str, Any]]:
    return [{"pageNumber": page, "polygon": list(box)}]


def _currency_symbol(text: str) -> str | None:
    m = _SYMBOL.search(text or "")
    return (m.group(1) or m.group(2)) if m else None


def _address_parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    if m := _HOUSE.match(text):
        parts["houseNumber"] = m.group(1)
    if m := _US_TAIL.search(text):
        parts["state"], parts["postalCode"] = m.group(1), m.group(2)
    return parts


def convert_field(name: str, f: dict[str, Any]) -> dict[str, Any]:
    """One v2.1 field as the v4 service returns it (recursively for arrays and objects)."""
    kind = f.get("type", "string")
    out: dict[str, Any] = {}
    if kind == "number" and name in V4_CURRENCY:
        cur: dict[str, Any] = {"amount": f["valueNumber"]}
        symbol = _currency_symbol(f.get("text", ""))
        if symbol:
            cur["currencySymbol"] = symbol
        out = {"type": "currency", "valueCurrency": cur}
    elif kind == "string" and name in V4_ADDRESS:
        out = {"type": "address", "valueAddress": _address_parts(f.get("text") or f.get("valueString", ""))}
    elif kind == "array":
        out = {"type": "array", "valueArray": [convert_field(name, x) for x in f.get("valueArray", [])]}
    elif kind == "object":
        out = {"type": "object", "valueObject": {k: convert_field(k, v) for k, v in f.get("valueObject", {}).items()}}
    else:
        key = {"string": "valueString", "date": "valueDate", "time": "valueTime", "number": "valueNumber",
               "integer": "valueInteger", "phoneNumber": "valuePhoneNumber"}.get(kind)
        out = {"type": kind}
        if key and key in f:
            out[key] = f[key]
    if "text" in f:
        out["content"] = f["text"]
    if "boundingBox" in f and "page" in f:
        out["boundingRegions"] = _region(f["page"], f["boundingBox"])
    if "confidence" in f:
        out["confidence"] = f["confidence"]
    return out


def _table(page: int, t: dict[str, Any]) -> dict[str, Any]:
    cells = []
    for c in t["cells"]:
        cell: dict[str, Any] = {"rowIndex": c["rowIndex"], "columnIndex": c["columnIndex"],
                                "content": c.get("text", ""), "boundingRegions": _region(page, c["boundingBox"])}
        for k in ("rowSpan", "columnSpan"):
            if k in c:
                cell[k] = c[k]
        if c.get("isHeader"):
            cell["kind"] = "columnHeader"
        cells.append(cell)
    return {"rowCount": t["rows"], "columnCount": t["columns"], "cells": cells,
            "boundingRegions": _region(page, t["boundingBox"])}


def convert(v21: dict[str, Any], model_id: str = "prebuilt-invoice") -> dict[str, Any]:
    """A whole v2.1 analyze operation (status + analyzeResult) in the 2024-11-30 shape."""
    ar = v21["analyzeResult"]
    pages = [{"pageNumber": p["page"], "angle": p.get("angle", 0), "width": p["width"], "height": p["height"],
              "unit": p["unit"], "words": [], "lines": [], "spans": []} for p in ar.get("readResults", [])]
    size = {p["pageNumber"]: (p["width"], p["height"]) for p in pages}
    tables = [_table(pr["page"], t) for pr in ar.get("pageResults", []) for t in pr.get("tables", [])]
    documents = []
    for d in ar.get("documentResults", []):
        first, last = d.get("pageRange", [1, 1])
        regions = [{"pageNumber": n, "polygon": [0, 0, size[n][0], 0, size[n][0], size[n][1], 0, size[n][1]]}
                   for n in range(first, last + 1) if n in size]
        documents.append({"docType": d["docType"].split(":")[-1], "boundingRegions": regions, "spans": [],
                          "fields": {k: convert_field(k, v) for k, v in sorted(d.get("fields", {}).items())}})
    result = {"apiVersion": "2024-11-30", "modelId": model_id, "stringIndexType": "textElements", "content": "",
              "pages": pages, "tables": tables, "documents": documents}
    return {"status": v21["status"], "createdDateTime": v21["createdDateTime"],
            "lastUpdatedDateTime": v21["lastUpdatedDateTime"], "analyzeResult": result}


def build_replay(document: Path, recording: Path) -> dict[str, Any]:
    """The replay file: which document it answers (by SHA-256 of its bytes), where it came from, the operation."""
    return {"document": document.name, "document_sha256": hashlib.sha256(document.read_bytes()).hexdigest(),
            "recorded_from": f"{recording.name} (Azure prebuilt-invoice, API v2.1), converted by "
                             "tests/fakes/azure_di_replays.py",
            "operation": convert(json.loads(recording.read_text(encoding="utf-8")))}


def dump(replay: dict[str, Any]) -> str:
    return json.dumps(replay, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> int:
    REPLAYS.mkdir(parents=True, exist_ok=True)
    for doc, rec, name in SOURCES:
        out = REPLAYS / f"{name}.json"
        out.write_text(dump(build_replay(SAMPLES / doc, SAMPLES / rec)), encoding="utf-8")
        sys.stdout.write(f"{out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
