"""The tenant's policy: when the bot may act alone, who approves what, and which checks apply.

An AP team states its rules once, in a YAML file an admin edits (setting POLICY_FILE, by default
DATA_DIR/policy.yaml); the `admin policy` chat command shows what is in force. Top-level keys are the defaults for
every tenant; ``tenants: {<tenant id>: {...}}`` overrides them key by key for one tenant. Everything has a
default, so a service without a file runs the safe built-in policy (nothing above 5,000 EUR, from a new vendor or
read with doubt is ever approved without a person).

The file is re-read when it changes (checked at most every few seconds), so an admin's edit takes effect without a
restart; a file that does not parse keeps the last good policy in force and the error is shown by `admin policy`.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from invoice_capture.extraction.chain import chain_config

log = logging.getLogger(__name__)

Level = Literal["L0", "L1", "L2", "L3"]
LEVEL_WORDS = {
    "L0": "act and log",
    "L1": "approved automatically, people notified",
    "L2": "a person must approve",
    "L3": "a person must act; the bot only assists",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AutoApprove(_Strict):
    """L1: approve without a person when everything is clear, and say so on the card."""

    enabled: bool = True
    min_confidence: float = Field(0.9, ge=0, le=1)
    max_total: float = Field(5000, ge=0, description="in the base currency")
    #: A vendor counts as known when it is in the vendor master, or (with ``known_from_history``) when this many
    #: of its invoices have been approved by people before.
    known_from_history: int = Field(0, ge=0)


class LogOnly(_Strict):
    """L0: act and log only (no notification), for tiny amounts from known vendors. Off unless switched on."""

    enabled: bool = False
    max_total: float = Field(50, ge=0)


class Band(_Strict):
    """An amount band of the approval matrix: who is asked for totals up to ``up_to`` (None: everything above)."""

    up_to: float | None = None
    role: str = "approver"
    approvers: list[str] = Field(default_factory=list, description="names or Entra object ids; empty: anyone "
                                                                   "with the role and a high enough limit")


class Approval(_Strict):
    #: What each role may approve alone, in the base currency; None: no limit.
    limits: dict[str, float | None] = Field(default_factory=lambda: {
        "clerk": 1000.0, "approver": 25000.0, "manager": 25000.0, "admin": None})
    #: Limits for named people (display name or Entra object id), overriding their role's.
    people: dict[str, float | None] = Field(default_factory=dict)
    bands: list[Band] = Field(default_factory=lambda: [
        Band(up_to=1000, role="clerk"), Band(up_to=25000, role="approver"), Band(up_to=None, role="admin")])


class Reminders(_Strict):
    """An escalated invoice nobody decided: ping the approver again, then the managers."""

    approver_after_hours: float = Field(24, gt=0)
    manager_after_hours: float = Field(48, gt=0)


class Checks(_Strict):
    #: Same vendor and amount with invoice dates this close is a likely duplicate.
    duplicate_window_days: int = Field(7, ge=0)
    #: Invoice dates more than this many years back are questioned.
    max_age_years: int = Field(3, ge=1)
    #: Invoice dates later than today by more than this are questioned.
    future_days: int = Field(1, ge=0)
    #: rapidfuzz score (0-100) from which a vendor name matches the vendor master.
    vendor_match_threshold: float = Field(88, ge=50, le=100)


class Policy(_Strict):
    base_currency: str = "EUR"
    #: Value of one unit of a currency in the base currency, for thresholds only (not for payment).
    exchange_rates: dict[str, float] = Field(default_factory=lambda: {
        "USD": 0.92, "GBP": 1.17, "CHF": 1.05, "SEK": 0.088, "NOK": 0.086, "DKK": 0.134, "PLN": 0.23,
        "CZK": 0.04, "CAD": 0.68, "AUD": 0.6, "JPY": 0.0062, "INR": 0.011})
    #: Fields that must be read with confidence for L1.
    key_fields: list[str] = Field(default_factory=lambda: [
        "VendorName", "InvoiceId", "InvoiceDate", "InvoiceTotal", "CurrencyCode"])
    auto_approve: AutoApprove = Field(default_factory=AutoApprove)
    log_only: LogOnly = Field(default_factory=LogOnly)
    approval: Approval = Field(default_factory=Approval)
    reminders: Reminders = Field(default_factory=Reminders)
    checks: Checks = Field(default_factory=Checks)
    #: Extraction chain and per-vendor extraction rules (read by the extraction side; kept as given here).
    extraction: dict[str, Any] = Field(default_factory=dict)

    @field_validator("base_currency")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.strip().upper()

    @field_validator("extraction")
    @classmethod
    def _chain(cls, v: dict[str, Any]) -> dict[str, Any]:
        """Checked here, with the rest of the policy, so a broken edit keeps the last good policy in force
        instead of failing every invoice's extraction."""
        chain_config(v)
        return v

    @field_validator("exchange_rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        return {k.strip().upper(): float(r) for k, r in v.items() if r and r > 0}

    # ------------------------------------------------------------------------------------------ amounts

    def to_base(self, amount: float | None, currency: str | None) -> float | None:
        """``amount`` in the base currency, or None when it cannot be known (no amount, no rate)."""
        if amount is None:
            return None
        cur = (currency or "").upper()
        if not cur or cur == self.base_currency:
            return float(amount) if cur else None
        rate = self.exchange_rates.get(cur)
        return float(amount) * rate if rate else None

    def money(self, amount: float) -> str:
        """A threshold in words: "5,000 EUR"."""
        return money(amount, self.base_currency)

    # ------------------------------------------------------------------------------------------ people

    def limit_for(self, role: str, external_id: str = "", name: str = "") -> float | None:
        """What this person may approve alone (base currency); None: no limit. Unknown roles may approve nothing."""
        for key in (external_id, name):
            if key:
                for person, limit in self.approval.people.items():
                    if person.casefold() == key.casefold():
                        return limit
        if role in self.approval.limits:
            return self.approval.limits[role]
        return 0.0

    def band_for(self, amount_base: float | None) -> Band:
        """The approval-matrix band for an amount (an unknown amount goes to the top band)."""
        bands = self.approval.bands
        if amount_base is not None:
            for band in bands:
                if band.up_to is None or amount_base <= band.up_to:
                    return band
        return bands[-1] if bands else Band()


def money(amount: float | None, currency: str) -> str:
    """A threshold or limit in words: "5,000 EUR", "99.50 EUR", "no limit"."""
    if amount is None:
        return "no limit"
    return f"{amount:,.0f} {currency}" if float(amount).is_integer() else f"{amount:,.2f} {currency}"


DEFAULT = Policy()
_DEFAULT_RAW = DEFAULT.model_dump(mode="json")


def parse(raw: dict[str, Any] | None, tenant_id: str = "") -> Policy:
    """The policy for ``tenant_id`` from a parsed file: defaults, then the tenant's overrides, merged per key."""
    raw = dict(raw or {})
    tenants = raw.pop("tenants", None) or {}
    if not isinstance(tenants, dict):
        raise ValueError("'tenants' must map tenant ids to policy overrides")
    tenants = {str(k): v for k, v in tenants.items()}  # an unquoted numeric id in YAML is still that tenant
    override = tenants.get(tenant_id) or {} if tenant_id else {}
    if not isinstance(override, dict):
        raise ValueError(f"tenants.{tenant_id} must be a mapping of settings, not {type(override).__name__}")
    # over the built-in defaults, so overriding one role's limit keeps the others' (a table is merged key by key)
    return Policy.model_validate(_merge(_merge(_DEFAULT_RAW, raw), override))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _validate_tenants(raw: dict[str, Any], *, named: bool = False) -> None:
    """Parse every tenant's policy; ``named``: say which tenant is broken (at start, where nothing else does)."""
    tenants = raw.get("tenants") or {}
    if not isinstance(tenants, dict):
        raise ValueError("'tenants' must map tenant ids to policy overrides")
    for tenant in tenants:
        try:
            parse(raw, str(tenant))
        except (ValidationError, ValueError) as exc:
            if not named:
                raise
            raise ValueError(f"tenant {tenant}: {describe_error(exc)}") from exc


def to_yaml(policy: Policy) -> str:
    """The policy in force, as an admin would write it."""
    return yaml.safe_dump(policy.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err["loc"])
            parts.append(f"{where}: {err['msg']}")
        return "; ".join(parts)
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"
    return str(exc)


@dataclass
class Loaded:
    raw: dict[str, Any]
    mtime: float
    error: str = ""


class PolicyBook:
    """Per-tenant policies from one YAML file, re-read when the file changes.

    ``PolicyBook.load(path)`` refuses to start on a broken file (an operator should see that at once); later a
    broken edit is logged, reported by :meth:`error` and the last good policy stays in force.
    """

    CHECK_EVERY_S = 3.0

    def __init__(self, path: Path | None = None, raw: dict[str, Any] | None = None) -> None:
        self.path = path
        self._loaded = Loaded(raw or {}, 0.0)
        self._checked = 0.0
        self._cache: dict[str, Policy] = {}

    @classmethod
    def load(cls, path: Path | None) -> PolicyBook:
        book = cls(path)
        if path is not None and path.exists():
            raw, mtime = cls._read(path)
            parse(raw)  # validate defaults now
            _validate_tenants(raw, named=True)
            book._loaded = Loaded(raw, mtime)
        return book

    @staticmethod
    def _read(path: Path) -> tuple[dict[str, Any], float]:
        mtime = path.stat().st_mtime
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError("the policy file must be a mapping of settings")
        return raw, mtime

    def _refresh(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._checked < self.CHECK_EVERY_S:
            return
        self._checked = now
        try:
            mtime = self.path.stat().st_mtime if self.path.exists() else 0.0
            if mtime == self._loaded.mtime:
                return
            raw, mtime = self._read(self.path) if mtime else ({}, 0.0)
            parse(raw)
            _validate_tenants(raw)
        except (OSError, ValueError, yaml.YAMLError, ValidationError) as exc:
            error = describe_error(exc)
            if error != self._loaded.error:
                log.error("policy file %s not applied, the previous policy stays in force: %s", self.path, error)
            self._loaded.error = error
            return
        self._loaded = Loaded(raw, mtime)
        self._cache.clear()
        log.info("policy file %s loaded", self.path)

    def for_tenant(self, tenant_id: str) -> Policy:
        self._refresh()
        policy = self._cache.get(tenant_id)
        if policy is None:
            policy = self._cache[tenant_id] = parse(self._loaded.raw, tenant_id)
        return policy

    def error(self) -> str:
        """Why the file's latest version is not in force ('' when it is)."""
        self._refresh()
        return self._loaded.error

    def source(self) -> str:
        if self.path is not None and self.path.exists():
            return str(self.path)
        return "built-in defaults" + (f" (no file at {self.path})" if self.path is not None else "")
