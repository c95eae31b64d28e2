"""The extraction chain: when it calls the next engine (counted), how it merges per field, what it records."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from invoice_capture.extraction.chain import ChainExtractor, EngineCall, chain_config, merge_fields
from invoice_capture.extraction.policy_file import PolicyChains


def f(value: Any, conf: float, text: str | None = None, method: str = "label") -> dict[str, Any]:
    return {"value": value, "text": text if text is not None else str(value), "confidence": conf, "method": method}


def result(engine: str, fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"file": "x.pdf", "engine": engine, "source": "visual", "pages": 1, "doc_type": "invoice",
            "fields": fields, "items": [], "content": "", "warnings": [], "timings": {"total_s": 0.1}, **extra}


STRONG = {"VendorName": f("Contoso Ltd", 0.88), "InvoiceId": f("INV-1", 0.93), "InvoiceDate": f("2024-03-01", 0.95),
          "InvoiceTotal": f(1234.56, 0.95, "1,234.56")}


class Local:
    def __init__(self, out: dict[str, Any]) -> None:
        self.out = out
        self.calls = 0

    async def extract(self, path: Path, name: str) -> dict[str, Any]:
        self.calls += 1
        return copy.deepcopy(self.out)


class Azure:
    def __init__(self, out: dict[str, Any]) -> None:
        self.out = out
        self.calls: list[dict[str, Any]] = []

    async def analyze(self, path: Any, name: str | None = None, *, tenant_id: str = "", model_id: str | None = None,
                      query_fields: Any = ()) -> dict[str, Any]:
        self.calls.append({"tenant_id": tenant_id, "model_id": model_id, "query_fields": list(query_fields)})
        return copy.deepcopy(self.out)


class Calls:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, EngineCall]] = []

    async def record(self, tenant_id: str, file: str, call: EngineCall) -> None:
        self.seen.append((tenant_id, file, call))


AZURE_OK = result("azure", {"VendorName": f("CONTOSO LTD", 0.98, method="azure"),
                            "InvoiceId": f("INV-1", 0.99, method="azure"),
                            "InvoiceDate": f("2024-03-01", 0.99, method="azure"),
                            "InvoiceTotal": f(1284.56, 0.97, "$1,284.56", method="azure"),
                            "CustomerName": f("Fabrikam", 0.9, method="azure")}, model_id="prebuilt-invoice")


def chain(local: Any, azure: Any, raw: dict | None = None, recorder: Any = None) -> ChainExtractor:
    cfg = chain_config(raw)
    return ChainExtractor(local, azure, config_for=lambda _t: cfg, recorder=recorder)


# --------------------------------------------------------------------------------------------- when to call


async def test_strong_local_read_does_not_pay_for_azure() -> None:
    local, azure = Local(result("local", STRONG)), Azure(AZURE_OK)
    out = await chain(local, azure).extract(Path("x.pdf"), "x.pdf", tenant_id="t")
    assert (local.calls, len(azure.calls)) == (1, 0)
    assert out["engines"] == ["local"] and [c["engine"] for c in out["engine_calls"]] == ["local"]


@pytest.mark.parametrize("weak", [{"InvoiceTotal": f(1234.56, 0.5)}, {"InvoiceId": None}])
async def test_a_weak_or_missing_key_field_calls_azure_once(weak: dict[str, Any]) -> None:
    fields = {k: v for k, v in ({**STRONG, **weak}).items() if v is not None}
    local, azure = Local(result("local", fields)), Azure(AZURE_OK)
    out = await chain(local, azure).extract(Path("x.pdf"), "x.pdf", tenant_id="t1")
    assert (local.calls, len(azure.calls)) == (1, 1)
    assert azure.calls[0]["tenant_id"] == "t1"
    assert out["engines"] == ["local", "azure"]


async def test_missing_optional_fields_do_not_trigger_azure() -> None:
    local, azure = Local(result("local", STRONG)), Azure(AZURE_OK)  # no PurchaseOrder, no DueDate: normal
    await chain(local, azure).extract(Path("x.pdf"), "x.pdf")
    assert azure.calls == []


async def test_threshold_is_the_tenants() -> None:
    local, azure = Local(result("local", STRONG)), Azure(AZURE_OK)
    await chain(local, azure, {"chain": ["local", "azure if any key field < 0.9"]}).extract(Path("x"), "x")
    assert len(azure.calls) == 1  # VendorName 0.88 < 0.9


async def test_einvoice_data_ends_the_reading() -> None:
    exact = result("local", {**STRONG, "InvoiceTotal": f(1234.56, 0.99, method="einvoice")}, source="einvoice")
    del exact["fields"]["VendorName"]
    local, azure = Local(exact), Azure(AZURE_OK)
    out = await chain(local, azure).extract(Path("x.xml"), "x.xml")
    assert azure.calls == [] and out["engines"] == ["einvoice"]
    assert out["engine_calls"][0]["engine"] == "einvoice"


async def test_a_bad_file_is_not_sent_to_azure_but_a_local_timeout_is() -> None:
    bad = Local({"file": "x.pdf", "error": {"code": "encrypted", "message": "locked"}})
    azure = Azure(AZURE_OK)
    out = await chain(bad, azure).extract(Path("x.pdf"), "x.pdf")
    assert azure.calls == [] and out["error"]["code"] == "encrypted"
    slow = Local({"file": "x.pdf", "error": {"code": "timeout", "message": "too slow"}})
    out = await chain(slow, azure).extract(Path("x.pdf"), "x.pdf")
    assert len(azure.calls) == 1 and out["engines"] == ["azure"]
    assert out["fields"]["InvoiceId"]["engine"] == "azure"


async def test_azure_failure_keeps_the_local_read_and_says_why() -> None:
    local = Local(result("local", {**STRONG, "InvoiceTotal": f(1234.56, 0.4)}))
    azure = Azure({"file": "x.pdf", "error": {"code": "azure_throttled", "message": "over its rate limit"}})
    rec = Calls()
    out = await chain(local, azure, recorder=rec).extract(Path("x.pdf"), "x.pdf", tenant_id="t")
    assert out["fields"]["InvoiceTotal"]["confidence"] == 0.4 and out["engines"] == ["local"]
    assert any("over its rate limit" in w for w in out["warnings"])
    assert [(c.engine, c.outcome, c.pages) for _, _, c in rec.seen] == [("local", "ok", 1),
                                                                       ("azure", "azure_throttled", 0)]


async def test_azure_only_chain_and_no_engine() -> None:
    azure = Azure(AZURE_OK)
    out = await chain(None, azure, {"chain": ["azure"]}).extract(Path("x.pdf"), "x.pdf")
    assert len(azure.calls) == 1 and out["fields"]["CustomerName"]["engine"] == "azure"
    out = await chain(None, None).extract(Path("x.pdf"), "x.pdf")
    assert out["error"]["code"] == "no_engine"


async def test_vendor_model_and_query_fields_follow_the_vendor_read_so_far() -> None:
    local = Local(result("local", {**STRONG, "VendorName": f("Adatum Corporation", 0.5)}))
    azure = Azure(AZURE_OK)
    raw = {"azure": {"vendor_models": {"adatum": "adatum-custom-1", "contoso": "contoso-2"},
                     "query_fields": {"*": ["LoyaltyNumber"], "Adatum": ["CostCentre"], "Contoso": ["Other"]}}}
    await chain(local, azure, raw).extract(Path("x.pdf"), "x.pdf")
    assert azure.calls[0]["model_id"] == "adatum-custom-1"
    assert azure.calls[0]["query_fields"] == ["LoyaltyNumber", "CostCentre"]


# --------------------------------------------------------------------------------------------------- merge


def test_agreement_raises_confidence_and_records_both_engines() -> None:
    fields, warnings = merge_fields([("local", {"InvoiceId": f("INV-0042", 0.6)}),
                                     ("azure", {"InvoiceId": f("inv 0042", 0.9, method="azure")})])
    got = fields["InvoiceId"]
    assert got["engine"] == "azure" and got["agreed"] == ["azure", "local"]
    assert got["confidence"] == pytest.approx(0.9 + 0.1 * 0.5 * 0.6, abs=1e-3)
    assert warnings == []


def test_disagreement_lowers_confidence_and_shows_both_reads() -> None:
    fields, warnings = merge_fields([("local", {"InvoiceTotal": f(1234.56, 0.7, "1,234.56")}),
                                     ("azure", {"InvoiceTotal": f(1284.56, 0.95, "$1,284.56", "azure")})])
    got = fields["InvoiceTotal"]
    assert got["value"] == 1284.56 and got["engine"] == "azure"
    assert got["confidence"] == pytest.approx(0.95 * (1 - 0.5 * 0.7), abs=1e-3) and got["confidence"] < 0.9
    assert got["alternatives"] == [{"engine": "local", "value": 1234.56, "text": "1,234.56", "confidence": 0.7}]
    assert warnings == ["InvoiceTotal: Azure read 1,284.56; local read 1,234.56."]


def test_every_field_says_which_engine_gave_it() -> None:
    fields, _ = merge_fields([("local", {"VendorName": f("Contoso", 0.8), "PaymentTerm": f("30 days", 0.7)}),
                              ("azure", {"VendorName": f("Contoso", 0.6), "CustomerName": f("Fabrikam", 0.9)})])
    assert {n: v["engine"] for n, v in fields.items()} == {"VendorName": "local", "CustomerName": "azure",
                                                            "PaymentTerm": "local"}
    assert list(fields) == ["VendorName", "CustomerName", "PaymentTerm"]  # the contract's order


async def test_items_come_whole_from_the_more_confident_engine() -> None:
    row = {"Description": f("Consulting", 0.6), "Amount": f(60.0, 0.6)}
    local = Local(result("local", {**STRONG, "InvoiceTotal": f(60.0, 0.5)}, items=[row, row]))
    azure_row = {"Description": f("Consulting", 0.95), "Amount": f(60.0, 0.95)}
    azure = Azure(result("azure", {"InvoiceTotal": f(60.0, 0.9)}, items=[azure_row]))
    out = await chain(local, azure).extract(Path("x.pdf"), "x.pdf")
    assert out["items_engine"] == "azure" and len(out["items"]) == 1
    assert out["items"][0]["Amount"]["engine"] == "azure"


# -------------------------------------------------------------------------------------------------- config


@pytest.mark.parametrize(("raw", "message"), [
    ({"chain": ["local", "gpt"]}, "unknown engine"),
    ({"chain": ["azure if any key field < 1.5"]}, "threshold"),
    ({"chain": ["azure when it rains"]}, "unknown engine"),
    ({"chain": ["azure if any key field < x"]}, "expected an engine name"),
    ({"vendor_rules": [{"vendor": "X", "field": "Y", "label": "(("}]}, "regular expression"),
    ({"vendor_rules": [{"vendor": "X", "field": "Y"}]}, "label' or a 'region"),
    ({"vendor_rules": [{"vendor": "X", "field": "Y", "label": "a", "type": "colour"}]}, "not one of"),
])
def test_bad_config_is_refused_with_the_entry_named(raw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        chain_config(raw)


def test_config_forms() -> None:
    cfg = chain_config({"chain": ["einvoice", "local", {"engine": "azure", "if_any_key_field_below": 0.7},
                                  "vendor rules"], "key_fields": ["InvoiceTotal"]})
    assert [(s.engine, s.below) for s in cfg.steps] == [("einvoice", None), ("local", None), ("azure", 0.7),
                                                        ("vendor_rules", None)]
    assert cfg.trigger_fields == ("InvoiceTotal",)


def test_policy_file_defaults_and_tenant_overrides(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("""
extraction:
  chain: [einvoice, local, "azure if any key field < 0.65", vendor_rules]
  azure: {vendor_models: {Adatum: adatum-1}}
  vendor_rules:
    - {vendor: Contoso, field: LoyaltyNumber, type: id, label: "loyalty"}
tenants:
  t-strict:
    extraction:
      chain: [local, azure]
      azure: {query_fields: [CostCentre]}
""", encoding="utf-8")
    chains = PolicyChains(path)
    assert [s.below for s in chains("anyone").steps if s.engine == "azure"] == [0.65]
    strict = chains("t-strict")
    assert [(s.engine, s.below) for s in strict.steps] == [("local", None), ("azure", None)]
    assert strict.vendor_models == {"Adatum": "adatum-1"} and strict.query_fields == {"*": ("CostCentre",)}
    assert [r.field for r in strict.rules] == ["LoyaltyNumber"]
    assert PolicyChains(tmp_path / "absent.yaml")("x").steps == chains("anyone").steps
    path.write_text("tenants: {t9: {extraction: {chain: [ocr]}}}", encoding="utf-8")
    with pytest.raises(ValueError, match="tenant t9"):
        PolicyChains(path)
