"""The extraction contract as Python types.

Every engine (local text layer/OCR, e-invoice XML, later Azure Document Intelligence) produces these, and
everything downstream (CLI, store, cards) consumes only these. Field names follow Azure's prebuilt-invoice model
so that engines can be swapped or merged per field without a mapping table in between.

Coordinates: bounding boxes are ``[x0, y0, x1, y1]`` with the origin at the top-left of the page, in PDF points
for PDF pages and in pixels for images (the unit of the page the word was read on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

BBox = tuple[float, float, float, float]

#: Header fields of Azure's prebuilt-invoice model, in the order a reader expects them.
HEADER_FIELDS: tuple[str, ...] = (
    "VendorName", "VendorAddress", "VendorAddressRecipient", "VendorTaxId",
    "CustomerName", "CustomerId", "CustomerAddress", "CustomerAddressRecipient", "CustomerTaxId",
    "BillingAddress", "BillingAddressRecipient", "ShippingAddress", "ShippingAddressRecipient",
    "RemittanceAddress", "RemittanceAddressRecipient", "ServiceAddress", "ServiceAddressRecipient",
    "InvoiceId", "InvoiceDate", "DueDate", "PurchaseOrder", "PaymentTerm",
    "ServiceStartDate", "ServiceEndDate",
    "SubTotal", "TotalDiscount", "TotalTax", "InvoiceTotal", "AmountDue", "PreviousUnpaidBalance",
    "CurrencyCode", "PaymentDetails", "TaxDetails",
)

#: Columns of a line item.
ITEM_FIELDS: tuple[str, ...] = (
    "Description", "Quantity", "Unit", "UnitPrice", "ProductCode", "Date", "Tax", "TaxRate", "Amount",
)

AMOUNT_FIELDS = frozenset({
    "SubTotal", "TotalDiscount", "TotalTax", "InvoiceTotal", "AmountDue", "PreviousUnpaidBalance",
})
DATE_FIELDS = frozenset({"InvoiceDate", "DueDate", "ServiceStartDate", "ServiceEndDate"})

#: The fields the accuracy targets are set on (issue 2) and the card shows first.
KEY_FIELDS: tuple[str, ...] = (
    "VendorName", "InvoiceId", "InvoiceDate", "DueDate", "InvoiceTotal", "SubTotal", "TotalTax",
    "CurrencyCode", "AmountDue", "CustomerName", "PurchaseOrder",
)


@dataclass(slots=True)
class Word:
    """One word as read from a text layer or by OCR, with its box and the reader's confidence (0..1)."""

    text: str
    bbox: BBox
    page: int
    conf: float = 1.0

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def y0(self) -> float:
        return self.bbox[1]

    @property
    def x1(self) -> float:
        return self.bbox[2]

    @property
    def y1(self) -> float:
        return self.bbox[3]


@dataclass(slots=True)
class Page:
    """A page's words in reading order. ``source`` says whether they came from the text layer or OCR."""

    number: int
    width: float
    height: float
    words: list[Word]
    source: str = "text"  # "text" | "ocr"
    rotation: int = 0


@dataclass(slots=True)
class Field:
    """One extracted value.

    ``value`` is normalised (``Decimal`` for amounts, ``date`` for dates, ``str`` otherwise); ``text`` is what the
    document shows. ``method`` records how the value was found ("einvoice", "label", "position", "pattern",
    "derived") because it is the main input to the confidence and the card explains it.
    """

    value: Any
    text: str
    confidence: float
    page: int | None = None
    bbox: BBox | None = None
    method: str = "label"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": json_value(self.value),
            "text": self.text,
            "confidence": round(float(self.confidence), 3),
        }
        if self.page is not None:
            out["page"] = self.page
        if self.bbox is not None:
            out["bbox"] = [round(float(c), 1) for c in self.bbox]
        out["method"] = self.method
        return out


def json_value(value: Any) -> Any:
    """Amounts become JSON numbers, dates ISO strings, nested structures recursively."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


@dataclass(slots=True)
class ExtractedInvoice:
    """The result for one file: the contract of DESIGN.md."""

    file: str
    engine: str = "local"
    pages: int = 0
    doc_type: str = "invoice"
    fields: dict[str, Field] = field(default_factory=dict)
    items: list[dict[str, Field]] = field(default_factory=list)
    content: str = ""
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    source: str = "visual"  # "visual" | "einvoice"
    language: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "engine": self.engine,
            "source": self.source,
            "pages": self.pages,
            "doc_type": self.doc_type,
            "language": self.language,
            "fields": {name: f.to_json() for name, f in self.fields.items()},
            "items": [{name: f.to_json() for name, f in item.items()} for item in self.items],
            "content": self.content,
            "warnings": list(self.warnings),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


class ExtractionError(Exception):
    """A file that cannot be read. ``code`` is stable (for programs), ``message`` is for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_json(self, file: str) -> dict[str, Any]:
        return {"file": file, "error": {"code": self.code, "message": self.message}}
