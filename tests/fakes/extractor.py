"""A stand-in for the extraction pool: canned results of the extraction contract, by file name.

Tests of the bot and the controls need exact values (a confidence of 0.62, a changed IBAN, a total just over a
limit) that real documents would only give by accident; the extraction itself is tested on real files elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TODAY = dt.date.today()


def fv(value: Any, confidence: float = 0.97) -> dict[str, Any]:
    """One field of the extraction contract."""
    return {"value": value, "text": str(value), "confidence": confidence, "page": 1, "bbox": [10, 10, 60, 14],
            "method": "label"}


def extraction(name: str, *, vendor: str = "Contoso", number: str = "INV-100", total: float = 110.0,
               currency: str = "USD", iban: str | None = None, invoice_date: dt.date | None = None,
               **fields: Any) -> dict[str, Any]:
    """A clean extraction: closes arithmetically, dated recently, so the card carries no warnings. ``iban`` adds
    PaymentDetails; other keyword arguments replace whole fields (``VendorTaxId=fv("DE...")``, or None to drop
    one)."""
    out = {
        "file": name, "engine": "fake", "pages": 1, "doc_type": "invoice",
        "fields": {
            "VendorName": fv(vendor), "InvoiceId": fv(number),
            "InvoiceDate": fv((invoice_date or TODAY - dt.timedelta(days=5)).isoformat()),
            "DueDate": fv((TODAY + dt.timedelta(days=25)).isoformat(), 0.92),
            "SubTotal": fv(round(total / 1.1, 2)), "TotalTax": fv(round(total - round(total / 1.1, 2), 2)),
            "InvoiceTotal": fv(total), "CurrencyCode": fv(currency, 0.99),
            "PurchaseOrder": fv("PO-1", 0.7),
        },
        "items": [{"Description": fv("Consulting"), "Amount": fv(round(total / 1.1, 2))}],
        "content": f"{vendor} invoice {number}", "warnings": [], "timings": {"total_s": 0.01},
    }
    if iban:
        out["fields"]["PaymentDetails"] = {**fv([{"IBAN": iban}]), "text": iban}
    for key, value in fields.items():
        if value is None:
            out["fields"].pop(key, None)
        else:
            out["fields"][key] = value
    return out


def failure(name: str, code: str = "encrypted_pdf",
            message: str = "This PDF is password-protected. Send a copy without a password.") -> dict[str, Any]:
    return {"file": name, "error": {"code": code, "message": message}}


@dataclass
class FakeExtractor:
    """Answers by file name: a queue of canned results per name, else a clean Contoso invoice."""

    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def extract(self, path: Path, name: str, *, tenant_id: str = "") -> dict[str, Any]:
        assert Path(path).is_file(), "the service must hand over the stored original"
        self.calls.append(name)
        queue = self.results.get(name)
        return queue.pop(0) if queue else extraction(name)
