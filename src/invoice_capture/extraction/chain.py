"""The chain: a tenant's ordered engines and rules, and a per-field merge of what they read.

A typical chain is ``einvoice -> local -> azure if any key field < 0.65 -> vendor rules``: structured e-invoice
data is exact and ends the reading; the local engine is free and reads most PDFs well; Azure is paid per page and
is asked only when the local read of a key field is weak (or missing); the tenant's vendor rules add the extra
fields a vendor prints. The merge is per field:

- the read with the highest (calibrated) confidence wins;
- another engine that read the same value raises the confidence (two independent readers rarely make the same
  mistake); one that read something else lowers it, and both reads are kept (``alternatives``) and said in a
  warning, so the clerk sees "local read 1,234.56; Azure read 1,284.56" on the card;
- every field records the engine it came from (``engine``), which the card's details and the audit show.

Every engine call is recorded (engine, model, duration, pages, outcome) on the result (``engine_calls``) and,
when a recorder is given, in the usage log that the status summary reads cost and speed from.

The chain has the same ``extract(path, name, *, tenant_id)`` as ExtractorPool, so the service uses either.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from invoice_capture.extraction.evaluate import values_match
from invoice_capture.extraction.model import AMOUNT_FIELDS, HEADER_FIELDS
from invoice_capture.extraction.vendor_rules import VendorRule, apply_rules, parse_rules, vendor_matches

ENGINES = ("einvoice", "local", "azure", "vendor_rules")
#: Key fields whose weakness sends a document to the next engine: ones every invoice has. (A missing purchase
#: order is normal and must not buy an Azure call.)
TRIGGER_FIELDS: tuple[str, ...] = ("VendorName", "InvoiceId", "InvoiceDate", "InvoiceTotal")
DEFAULT_THRESHOLD = 0.65
DEFAULT_CHAIN = ("einvoice", "local", f"azure if any key field < {DEFAULT_THRESHOLD}", "vendor_rules")
#: How much an agreeing read closes the gap to certainty, and how much a disagreeing one takes away.
AGREE = 0.5
DISAGREE = 0.5
MAX_CONFIDENCE = 0.99
#: Errors of the file itself: no other engine can read it either, so none is paid to try.
FILE_ERRORS = frozenset({"empty", "corrupt", "encrypted", "too_many_pages", "image_too_large", "image_too_small",
                         "unsupported_type", "too_large", "too_many_frames", "not_found", "original_missing"})
ENGINE_WORDS = {"local": "local", "einvoice": "e-invoice", "azure": "Azure", "vendor_rules": "vendor rule"}

_STEP = re.compile(r"^\s*([a-z_ -]+?)\s*(?:\bif\s+any\s+key\s+fields?\s*<\s*([0-9.]+))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Step:
    engine: str
    #: Run only when a trigger field is missing or below this confidence; None: always.
    below: float | None = None


@dataclass(frozen=True)
class ChainConfig:
    steps: tuple[Step, ...]
    trigger_fields: tuple[str, ...] = TRIGGER_FIELDS
    #: Vendor name (as read; case-insensitive, contained) -> custom Azure model id for that vendor.
    vendor_models: Mapping[str, str] = field(default_factory=dict)
    #: Extra fields asked of Azure (queryFields), per vendor or for all (key "*").
    query_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: tuple[VendorRule, ...] = ()


def _step(raw: Any) -> Step:
    """``"local"``, ``"azure if any key field < 0.65"`` or ``{"engine": "azure", "if_any_key_field_below": 0.65}``."""
    if isinstance(raw, Mapping):
        name, below = str(raw.get("engine", "")), raw.get("if_any_key_field_below")
    else:
        m = _STEP.match(str(raw))
        if not m:
            raise ValueError(f"extraction chain step {raw!r}: expected an engine name, optionally followed by "
                             "'if any key field < 0.65'")
        name, below = m.group(1), m.group(2)
    name = name.strip().lower().replace(" ", "_").replace("-", "_")
    if name not in ENGINES:
        raise ValueError(f"extraction chain step {raw!r}: unknown engine {name!r} (one of {', '.join(ENGINES)})")
    if below is not None:
        below = float(below)
        if not 0.0 < below <= 1.0:
            raise ValueError(f"extraction chain step {raw!r}: the threshold must be in (0, 1]")
    return Step(name, below)


def chain_config(raw: Mapping[str, Any] | None) -> ChainConfig:
    """The ``extraction:`` section of a tenant's policy (a plain dict) as a ``ChainConfig``; raises ValueError
    with the offending entry for anything it cannot use, so a typo fails at start, not on an invoice."""
    raw = raw or {}
    steps = tuple(_step(s) for s in raw.get("chain") or DEFAULT_CHAIN)
    trigger = tuple(str(f) for f in raw.get("key_fields") or TRIGGER_FIELDS)
    azure = raw.get("azure") or {}
    vendor_models = {str(k): str(v) for k, v in (azure.get("vendor_models") or {}).items()}
    query = {str(k): tuple(str(x) for x in v) for k, v in (azure.get("query_fields") or {}).items()} \
        if isinstance(azure.get("query_fields"), Mapping) else {"*": tuple(azure.get("query_fields") or ())}
    return ChainConfig(steps=steps, trigger_fields=trigger, vendor_models=vendor_models, query_fields=query,
                       rules=parse_rules(raw.get("vendor_rules") or []))


@dataclass(frozen=True)
class EngineCall:
    """One call of one engine for one file: what the status summary adds up."""

    engine: str
    duration_s: float
    pages: int
    outcome: str  # "ok" or the error code
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "model": self.model, "duration_s": round(self.duration_s, 3),
                "pages": self.pages, "outcome": self.outcome}


class Recorder(Protocol):
    async def record(self, tenant_id: str, file: str, call: EngineCall) -> None: ...


class LocalReader(Protocol):
    async def extract(self, path: Path, name: str) -> dict[str, Any]: ...


class AzureReader(Protocol):
    async def analyze(self, path: Path | str, name: str | None = None, *, tenant_id: str = "",
                      model_id: str | None = None, query_fields: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
        ...


def weak_fields(result: Mapping[str, Any], fields: tuple[str, ...], below: float) -> list[str]:
    """Trigger fields the result lacks or holds with less than ``below`` confidence."""
    have = result.get("fields") or {}
    return [f for f in fields if f not in have or float(have[f].get("confidence", 0)) < below]


def _show(name: str, f: Mapping[str, Any]) -> str:
    v = f.get("value")
    if name in AMOUNT_FIELDS and isinstance(v, int | float):
        return f"{v:,.2f}"
    return str(f.get("text") or v)


def _same(name: str, a: Any, b: Any) -> bool:
    return values_match(name, a, b) or values_match(name, b, a)


def merge_fields(reads: list[tuple[str, Mapping[str, Any]]]) -> tuple[dict[str, Any], list[str]]:
    """Per field: the most confident read wins; agreement raises, disagreement lowers its confidence. Returns the
    fields (each with ``engine``, and ``agreed``/``alternatives`` where engines met) and disagreement warnings."""
    names = list(dict.fromkeys(n for _, fields in reads for n in fields))
    names.sort(key=lambda n: (HEADER_FIELDS.index(n) if n in HEADER_FIELDS else len(HEADER_FIELDS)))
    out: dict[str, Any] = {}
    warnings: list[str] = []
    for name in names:
        cands = [(engine, fields[name]) for engine, fields in reads if name in fields]
        best_engine, best = max(cands, key=lambda c: float(c[1].get("confidence", 0)))  # first on a tie
        merged = copy.deepcopy(dict(best))
        merged["engine"] = best_engine
        conf = float(best.get("confidence", 0))
        agreed, alternatives = [best_engine], []
        for engine, f in cands:
            if engine == best_engine:
                continue
            other = float(f.get("confidence", 0))
            if _same(name, best.get("value"), f.get("value")):
                conf += (1 - conf) * AGREE * other
                agreed.append(engine)
            else:
                conf *= 1 - DISAGREE * other
                alternatives.append({"engine": engine, "value": f.get("value"), "text": f.get("text"),
                                     "confidence": f.get("confidence")})
        merged["confidence"] = round(min(conf, MAX_CONFIDENCE), 3)
        if len(agreed) > 1:
            merged["agreed"] = agreed
        if alternatives:
            merged["alternatives"] = alternatives
            reads_said = "; ".join(f"{ENGINE_WORDS.get(e, e)} read {_show(name, f)}"
                                   for e, f in [(best_engine, best)] + [(a["engine"], a) for a in alternatives])
            warnings.append(f"{name}: {reads_said}.")
        out[name] = merged
    return out, warnings


def _items_of(reads: list[tuple[str, Mapping[str, Any]]]) -> tuple[str | None, list[Any]]:
    """Line items are kept whole from one engine (rows of two readers do not line up): the most confident."""
    best: tuple[float, str | None, list[Any]] = (-1.0, None, [])
    for engine, result in reads:
        items = result.get("items") or []
        if not items:
            continue
        confs = [float(c.get("confidence", 0)) for it in items for c in it.values()]
        score = sum(confs) / len(confs) if confs else 0.0
        if score > best[0]:
            best = (score, engine, items)
    return best[1], copy.deepcopy(best[2])


def merge(name: str, results: list[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One contract result from the successful results of several engines (in chain order)."""
    fields, warnings = merge_fields([(e, r.get("fields") or {}) for e, r in results])
    items_engine, items = _items_of(results)
    for row in items:
        for f in row.values():
            f["engine"] = items_engine
    first = results[0][1]
    content = next((r.get("content") for _, r in results if r.get("content")), "")
    out: dict[str, Any] = {
        "file": name, "engine": "chain", "engines": [e for e, _ in results],
        "source": "einvoice" if any(r.get("source") == "einvoice" for _, r in results) else "visual",
        "pages": max(int(r.get("pages") or 0) for _, r in results), "doc_type": first.get("doc_type", "invoice"),
        "language": next((r.get("language") for _, r in results if r.get("language")), None),
        "fields": fields, "items": items, "content": content,
        "warnings": list(dict.fromkeys([w for _, r in results for w in r.get("warnings") or []] + warnings)),
        "timings": {f"{e}_s": float((r.get("timings") or {}).get("total_s", 0)) for e, r in results},
    }
    if items_engine:
        out["items_engine"] = items_engine
    for _, r in results:
        if r.get("key_values"):
            out["key_values"] = r["key_values"]
    return out


class ChainExtractor:
    """The tenant's chain of engines behind the ExtractorPool interface."""

    def __init__(self, local: LocalReader | None, azure: AzureReader | None = None, *,
                 config_for: Callable[[str], ChainConfig] | None = None, recorder: Recorder | None = None,
                 words_for: Callable[[Path], Awaitable[list[Any]]] | None = None) -> None:
        """``config_for(tenant_id)`` gives a tenant's chain (default: DEFAULT_CHAIN); ``words_for(path)`` gives
        the text layer's words for vendor rules with a page region (optional)."""
        self.local = local
        self.azure = azure
        self.config_for = config_for or (lambda _tenant: chain_config(None))
        self.recorder = recorder
        self.words_for = words_for

    async def _call(self, engine: str, tenant_id: str, name: str, calls: list[EngineCall],
                    run: Callable[[], Awaitable[dict[str, Any]]], model: str = "") -> dict[str, Any]:
        t0 = time.perf_counter()
        out = await run()
        err = out.get("error")
        if engine == "local" and not err and out.get("source") == "einvoice":
            engine = "einvoice"
        call = EngineCall(engine, time.perf_counter() - t0, 0 if err else int(out.get("pages") or 0),
                          err["code"] if err else "ok", model or str(out.get("model_id") or ""))
        calls.append(call)
        if self.recorder is not None:
            await self.recorder.record(tenant_id, name, call)
        return out

    async def extract(self, path: Path, name: str, *, tenant_id: str = "") -> dict[str, Any]:
        """The contract's JSON for one file, read by the tenant's chain (a result or ``{"file", "error"}``)."""
        t0 = time.perf_counter()
        cfg = self.config_for(tenant_id)
        calls: list[EngineCall] = []
        results: list[tuple[str, dict[str, Any]]] = []
        errors: list[dict[str, Any]] = []
        notes: list[str] = []
        local_done = False
        for step in cfg.steps:
            current = merge(name, results) if results else {}
            exact = current.get("source") == "einvoice"
            if step.engine in ("einvoice", "local"):
                if local_done or self.local is None:
                    continue
                local_done = True
                out = await self._call("local", tenant_id, name, calls, lambda: self.local.extract(path, name))
            elif step.engine == "azure":
                if self.azure is None or exact or any(e["error"]["code"] in FILE_ERRORS for e in errors):
                    continue
                if step.below is not None and results and not weak_fields(current, cfg.trigger_fields, step.below):
                    continue
                vendor = str(((current.get("fields") or {}).get("VendorName") or {}).get("value") or "")
                model = next((m for v, m in cfg.vendor_models.items() if vendor_matches(v, vendor)), None)
                query = [*cfg.query_fields.get("*", ()), *(q for v, qs in cfg.query_fields.items()
                                                          if v != "*" and vendor_matches(v, vendor) for q in qs)]
                out = await self._call("azure", tenant_id, name, calls, lambda m=model, q=query: self.azure.analyze(
                    path, name, tenant_id=tenant_id, model_id=m, query_fields=q), model or "")
                if "error" in out:
                    notes.append(f"Azure Document Intelligence was not used: {out['error']['message']}")
            else:  # vendor rules read the merged result's text (and words, for page regions)
                if not results or not cfg.rules:
                    continue
                vendor = str(((current.get("fields") or {}).get("VendorName") or {}).get("value") or "")
                wanted = self.words_for and any(r.region and vendor_matches(r.vendor, vendor) for r in cfg.rules)
                words = await self.words_for(path) if wanted else []  # the text layer only for a region rule here
                added = apply_rules(current, cfg.rules, words)
                if added:
                    results.append(("vendor_rules", {"fields": added}))
                continue
            if "error" in out:
                errors.append(out)
            else:
                results.append(("einvoice" if out.get("source") == "einvoice" else
                                "local" if step.engine == "einvoice" else step.engine, out))
        if not results:
            final = dict(errors[0]) if errors else {"file": name, "error": {
                "code": "no_engine", "message": "No extraction engine is configured for this tenant."}}
        else:
            final = merge(name, results)
            final["warnings"] = final["warnings"] + notes
            final["timings"]["total_s"] = time.perf_counter() - t0
        final["engine_calls"] = [c.to_json() for c in calls]
        return final

    def warm_up(self) -> None:
        if hasattr(self.local, "warm_up"):
            self.local.warm_up()

    def close(self) -> None:
        if hasattr(self.local, "close"):
            self.local.close()
