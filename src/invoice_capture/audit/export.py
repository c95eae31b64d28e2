"""Export audit events for a period: JSON and CSV for people and tools, OSCAL assessment results for auditors.

- ``json``: a list of event objects exactly as hashed (``at`` in the same ISO form the hash covers), with
  ``prev_hash`` and ``hash``, so anyone can recompute every hash without this code:
  ``sha256(json.dumps(event minus id and hash, sort_keys=True, separators=(",", ":"), ensure_ascii=False))``.
- ``csv``: the same columns flat, ``changes`` as a JSON string, for spreadsheets. Free-text cells that a
  spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) get a leading apostrophe: the reason
  text is typed by users, and an accounts-payable team opens these files in Excel. JSON stays exact.
- ``oscal``: an OSCAL assessment-results document (the format customers' GRC tools import) whose result covers the
  period and reviews NIST SP 800-53 Rev. 5 AU-2, AU-3, AU-9 and AU-12: one observation per tenant and action type
  (what was logged), one per tenant for the hash-chain verification (events checked, first/last hash, intact or
  the first broken link), one for the database's append-only triggers and one for record content; findings for
  AU-9 (chain intact and triggers present) and AU-3 (every record names its actor and action). AU-10
  (non-repudiation) is not claimed: a hash chain proves the log was not changed, not who wrote an event; that
  would need per-actor signatures.

Events are streamed in (tenant, seq) order, so an export of millions of rows never holds them all in memory.
UUIDs in the OSCAL document are uuid5 values derived from the tenant scope and period (and the item they name), so
exporting the same period twice gives the same identifiers, as OSCAL asks ("consistently used to identify the
same subject across revisions"); ``last-modified`` and ``version`` say which revision it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_capture.audit.chain import canonical, event_body
from invoice_capture.audit.verify import BATCH, GUARD_TRIGGERS, TenantChain, VerifyResult, stream_events, verify
from invoice_capture.store.models import AuditEvent

FORMATS = ("json", "csv", "oscal")
#: The OSCAL release the document is written against (tests validate it against that release's JSON schema).
OSCAL_VERSION = "1.2.3"
#: Namespace of this product's own OSCAL props (OSCAL reserves props without ``ns`` for its own names).
PROP_NS = "urn:invoice-capture:audit"
UUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:invoice-capture:oscal:assessment-results")
ASSESSMENT_PLAN = "invoice-capture-audit-log-assessment-plan.json"
CSV_COLUMNS = ("id", "tenant_id", "seq", "at", "actor_id", "actor_name", "action", "invoice_id", "reason", "changes",
               "prev_hash", "hash")
#: Actions that are a person's decision on an invoice (auto-approvals are ``auto_approved`` events by ``system``,
#: filed with the processing).
DECISIONS = frozenset({"approved", "rejected", "escalated", "reopened"})
CONTROLS = {
    "au-2": "Event Logging",
    "au-3": "Content of Audit Records",
    "au-9": "Protection of Audit Information",
    "au-12": "Audit Record Generation",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    """Whole UTC days, both ends included (what people mean by "from the 1st to the 31st")."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"--to {self.end} is before --from {self.start}")

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    @property
    def until(self) -> dt.datetime:
        """Exclusive upper bound: midnight after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), dt.UTC)


@dataclass
class ExportSummary:
    events: int = 0
    verification: VerifyResult | None = None


def oscal_time(at: dt.datetime, timespec: str = "seconds") -> str:
    return at.astimezone(dt.UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def event_record(ev: AuditEvent) -> dict[str, Any]:
    """Exactly what the chain hashed (chain.event_body), with the row id and the hash: re-hashable as is."""
    return {"id": ev.id, **event_body(ev), "hash": ev.hash}


async def iter_events(session: AsyncSession, period: Period, tenant_id: str | None = None, *,
                      batch: int = BATCH) -> AsyncIterator[AuditEvent]:
    """Events whose time falls in ``period``, in (tenant, seq) order, ``batch`` rows per round trip."""
    stmt = select(AuditEvent).where(AuditEvent.at >= period.since, AuditEvent.at < period.until)
    if tenant_id is not None:
        stmt = stmt.where(AuditEvent.tenant_id == tenant_id)
    async for ev in stream_events(session, stmt.order_by(AuditEvent.tenant_id, AuditEvent.seq), batch):
        yield ev


async def write_json(events: AsyncIterator[AuditEvent], out: TextIO) -> int:
    """A JSON list, one event per line, written as the rows arrive."""
    n = 0
    out.write("[")
    async for ev in events:
        out.write(("," if n else "") + "\n" + json.dumps(event_record(ev), ensure_ascii=False, sort_keys=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


async def write_csv(events: AsyncIterator[AuditEvent], out: TextIO) -> int:
    """A header row, then one row per event; ``changes`` is its canonical JSON."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    n = 0
    async for ev in events:
        rec = event_record(ev)
        rec["changes"] = canonical(ev.changes)
        for col in ("actor_id", "actor_name", "action", "invoice_id", "reason", "tenant_id"):
            rec[col] = _cell(rec[col])
        w.writerow([rec[c] for c in CSV_COLUMNS])
        n += 1
    return n


@dataclass
class _ActionStats:
    count: int = 0
    first_seq: int = 0
    last_seq: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    actors: set[str] = field(default_factory=set)
    by_system: int = 0
    invoices: set[str] = field(default_factory=set)


@dataclass
class Evidence:
    """What one pass over the period's events collects for the OSCAL document."""

    actions: dict[tuple[str, str], _ActionStats] = field(default_factory=dict)
    events: int = 0
    incomplete: int = 0  # events without an actor or an action (AU-3)
    with_invoice: int = 0
    with_changes: int = 0
    with_reason: int = 0
    first_hash: dict[str, str] = field(default_factory=dict)
    last_hash: dict[str, str] = field(default_factory=dict)

    def add(self, ev: AuditEvent) -> None:
        st = self.actions.setdefault((ev.tenant_id, ev.action), _ActionStats())
        if not st.count:
            st.first_seq, st.first_at = ev.seq, ev.at
        st.count += 1
        st.last_seq, st.last_at = ev.seq, ev.at
        st.actors.add(ev.actor_id)
        st.by_system += ev.actor_id == "system"
        if ev.invoice_id:
            st.invoices.add(ev.invoice_id)
        self.events += 1
        self.incomplete += not (ev.actor_id.strip() and ev.action.strip())
        self.with_invoice += bool(ev.invoice_id)
        self.with_changes += bool(ev.changes)
        self.with_reason += bool(ev.reason)
        self.first_hash.setdefault(ev.tenant_id, ev.hash)
        self.last_hash[ev.tenant_id] = ev.hash


async def export(session: AsyncSession, fmt: str, out: TextIO, period: Period, tenant_id: str | None = None, *,
                 now: dt.datetime | None = None, batch: int = BATCH) -> ExportSummary:
    """Write the period's events to ``out`` in ``fmt``; the OSCAL form also verifies the chains in scope."""
    events = iter_events(session, period, tenant_id, batch=batch)
    if fmt == "json":
        return ExportSummary(await write_json(events, out))
    if fmt == "csv":
        return ExportSummary(await write_csv(events, out))
    if fmt != "oscal":
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    evidence = Evidence()
    async for ev in events:
        evidence.add(ev)
    result = await verify(session, tenant_id, batch=batch)
    doc = build_oscal(evidence, result, period, tenant_id, now=now or dt.datetime.now(dt.UTC))
    json.dump(doc, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return ExportSummary(evidence.events, result)


def build_oscal(ev: Evidence, result: VerifyResult, period: Period, tenant_id: str | None, *,
                now: dt.datetime) -> dict[str, Any]:
    """The assessment-results document (OSCAL ``OSCAL_VERSION``) for one period and tenant scope."""
    scope = tenant_id if tenant_id is not None else "*"
    who = f"tenant {tenant_id}" if tenant_id is not None else "all tenants"

    def uid(*parts: object) -> str:
        return str(uuid.uuid5(UUID_NS, "|".join(str(p) for p in (scope, period.start, period.end, *parts))))

    component = str(uuid.uuid5(UUID_NS, "component:invoice-capture"))
    party = str(uuid.uuid5(UUID_NS, "party:invoice-capture"))
    collected = oscal_time(now)
    tool = [{"actors": [{"type": "tool", "actor-uuid": component}]}]

    observations: list[dict[str, Any]] = []
    for (tenant, action), st in sorted(ev.actions.items()):
        kind = "decision" if action in DECISIONS else "processing"
        href = "audit-events_{}_{}_{}.json".format(urllib.parse.quote(tenant, safe=""), period.start, period.end)
        observations.append({
            "uuid": uid("events", tenant, action),
            "title": f"{st.count} '{action}' audit event{'s' if st.count != 1 else ''}, tenant {tenant}",
            "description": (
                f"Tenant {tenant} recorded {st.count} '{action}' event{'s' if st.count != 1 else ''} between "
                f"{period.start} and {period.end} (UTC), seq {st.first_seq} to {st.last_seq}, by {len(st.actors)} "
                f"distinct actor{'s' if len(st.actors) != 1 else ''} ({st.by_system} by the system actor), "
                f"concerning {len(st.invoices)} invoice{'s' if len(st.invoices) != 1 else ''}. Each event records "
                "the tenant, invoice, actor, action, field-level before/after values, reason, timestamp, the "
                "previous event's hash and its own hash."),
            "props": [prop("tenant", tenant), prop("action", action), prop("category", kind),
                      prop("event-count", st.count), prop("first-seq", st.first_seq), prop("last-seq", st.last_seq),
                      prop("distinct-actors", len(st.actors))],
            "methods": ["EXAMINE"],
            "origins": tool,
            "relevant-evidence": [{
                "href": href,
                "description": (f"The events themselves, as written by `invoice-capture audit export --format json "
                                f"--tenant {tenant} --from {period.start} --to {period.end}`: each carries prev_hash "
                                "and hash, so every one can be re-hashed and checked against the chain."),
            }],
            "collected": collected,
        })

    chain_obs = [_chain_observation(t, uid("verify", t.tenant_id), tool, collected) for t in result.tenants]
    if not chain_obs:
        chain_obs = [{
            "uuid": uid("verify", "none"), "title": "Hash chain verification: no audit events",
            "description": f"No audit events exist for {who}; there is no chain to verify.",
            "props": [prop("events-checked", 0), prop("chain-intact", "true")],
            "methods": ["TEST"], "origins": tool, "collected": collected,
        }]
    missing = [name for name, present in result.guards.items() if not present]
    guards_obs = {
        "uuid": uid("guards"),
        "title": "Append-only triggers on the audit table " + ("present" if not missing else "MISSING"),
        "description": (
            "The database refuses UPDATE and DELETE on audit events through the triggers "
            f"{' and '.join(GUARD_TRIGGERS)}; " +
            ("both are present." if not missing else f"{', '.join(missing)} "
             f"{'is' if len(missing) == 1 else 'are'} missing, so the database no longer refuses changes to history.")),
        "methods": ["EXAMINE"], "origins": tool, "collected": collected,
    }
    if result.guards:
        guards_obs["props"] = [prop(f"trigger-{name.replace('_', '-')}", "present" if ok else "missing")
                               for name, ok in result.guards.items()]
    else:
        guards_obs["description"] = "The append-only triggers were not checked."
    content_obs = {
        "uuid": uid("content"),
        "title": f"Audit record content, {ev.events} event{'s' if ev.events != 1 else ''}",
        "description": (
            f"Of {ev.events} audit events in the period, {ev.events - ev.incomplete} name both the actor (Entra "
            f"object id or `system`) and the action; every event carries its tenant, sequence number, UTC timestamp "
            f"and hashes by construction. {ev.with_invoice} name an invoice, {ev.with_changes} carry field-level "
            f"before/after values and {ev.with_reason} a reason."),
        "props": [prop("events", ev.events), prop("events-without-actor-or-action", ev.incomplete)],
        "methods": ["EXAMINE"], "origins": tool, "collected": collected,
    }
    observations += [*chain_obs, guards_obs, content_obs]

    intact, guarded = result.intact, result.guarded
    broken = [t for t in result.tenants if not t.intact]
    au9_why = ("Every audit chain in scope verified from seq 1 to its last event and the append-only triggers are "
               "in place." if intact and guarded else
               " ".join([*(f"The chain of tenant {t.tenant_id} is broken at {t.broken.describe()}."
                           for t in broken if t.broken is not None),
                         *([f"Append-only trigger(s) missing: {', '.join(missing)}."] if missing else []),
                         *(["The append-only triggers were not checked."] if not result.guards else [])]))
    findings = [
        _finding(uid("finding", "au-9"), "au-9", intact and guarded, au9_why,
                 [o["uuid"] for o in chain_obs] + [guards_obs["uuid"]], tool),
        _finding(uid("finding", "au-3"), "au-3", ev.incomplete == 0,
                 f"{ev.events - ev.incomplete} of {ev.events} audit records in the period state what happened "
                 "(action), when, where (tenant, invoice), the source and identity (actor) and the outcome "
                 "(before/after values)." + (f" {ev.incomplete} lack an actor or action." if ev.incomplete else ""),
                 [content_obs["uuid"]], tool),
    ]

    digest = hashlib.sha256(canonical({
        "scope": scope, "from": str(period.start), "to": str(period.end), "events": ev.events,
        "last": ev.last_hash, "chains": [[t.tenant_id, t.events, t.last_hash, t.broken.seq if t.broken else None]
                                         for t in result.tenants], "guards": result.guards,
    }).encode()).hexdigest()
    return {"assessment-results": {
        "uuid": uid("document"),
        "metadata": {
            "title": f"Invoice Capture audit log evidence, {who}, {period.start} to {period.end}",
            "last-modified": collected,
            "version": f"evidence-{digest[:16]}",
            "oscal-version": OSCAL_VERSION,
            "roles": [{"id": "audit-log-system", "title": "Audit log system",
                       "description": "Records every invoice decision in the hash-chained audit log (the `system` "
                                      "actor of automatic events) and produced this document."}],
            "parties": [{"uuid": party, "type": "organization", "name": "Invoice Capture service"}],
            "responsible-parties": [{"role-id": "audit-log-system", "party-uuids": [party]}],
        },
        "import-ap": {
            "href": ASSESSMENT_PLAN,
            "remarks": "The standing plan of this product's audit-log review: every export verifies each tenant's "
                       "hash chain from seq 1 and summarises the period's events against AU-2, AU-3, AU-9 and "
                       "AU-12. No separate plan document is shipped with the export.",
        },
        "results": [{
            "uuid": uid("result"),
            "title": f"Audit log review, {who}, {period.start} to {period.end}",
            "description": (f"Automated review of the invoice-capture audit log for {who} from {period.start} to "
                            f"{period.end} (UTC, both days included): {ev.events} events in the period; hash chains "
                            + ("intact." if intact else "BROKEN.")),
            "start": oscal_time(period.since),
            # the last instant of the period, or now while the period is still running (events carry microseconds)
            "end": oscal_time(min(period.until - dt.timedelta(microseconds=1), max(now, period.since)),
                              "microseconds"),
            "props": [prop("tenant-scope", tenant_id if tenant_id is not None else "all")],
            "local-definitions": {"assessment-assets": {
                "components": [{
                    "uuid": component, "type": "software", "title": "invoice-capture audit verifier",
                    "description": "The `invoice-capture audit verify` and `audit export` commands of the service.",
                    "status": {"state": "operational"},
                }],
                "assessment-platforms": [{"uuid": str(uuid.uuid5(UUID_NS, "platform:invoice-capture")),
                                          "title": "invoice-capture",
                                          "uses-components": [{"component-uuid": component}]}],
            }},
            "reviewed-controls": {
                "control-selections": [{"include-controls": [{"control-id": c} for c in CONTROLS]}],
                "remarks": "NIST SP 800-53 Rev. 5: " + "; ".join(f"{c.upper()} {t}" for c, t in CONTROLS.items())
                           + ". AU-2 and AU-12 are evidenced by the event observations (which events the system "
                             "generates and how many); whether that set is adequate is the assessor's judgement.",
            },
            "observations": observations,
            "findings": findings,
        }],
    }}


def prop(name: str, value: object) -> dict[str, str]:
    """One of this product's own OSCAL props (in its namespace; values are strings in OSCAL)."""
    return {"name": name, "ns": PROP_NS, "value": str(value)}


def _chain_observation(t: TenantChain, obs_uuid: str, tool: list[dict[str, Any]], collected: str
                       ) -> dict[str, Any]:
    props = [prop("tenant", t.tenant_id), prop("events-checked", t.events),
             prop("chain-intact", "true" if t.intact else "false")]
    if t.first_hash:
        props += [prop("first-hash", t.first_hash), prop("last-hash", t.last_hash), prop("last-seq", t.last_seq)]
    if t.broken is not None:
        props += [prop("broken-seq", t.broken.seq), prop("broken-kind", t.broken.kind)]
        what = f"The chain is BROKEN. First broken link: {t.broken.describe()}."
    else:
        what = (f"The chain is intact: {t.events} events, first hash {t.first_hash or '-'}, last hash "
                f"{t.last_hash or '-'} (seq {t.last_seq}).")
    return {
        "uuid": obs_uuid,
        "title": f"Hash chain of tenant {t.tenant_id}: " + ("intact" if t.intact else "BROKEN"),
        "description": (f"Walked tenant {t.tenant_id}'s audit chain in seq order from seq 1, checking that no seq "
                        "is missing, that each event's prev_hash is the previous event's hash (64 zeros for the "
                        "first) and that each stored hash equals the SHA-256 of the event's canonical JSON. " + what),
        "props": props,
        "methods": ["TEST"],
        "origins": tool,
        "relevant-evidence": [{"description": f"Re-run with `invoice-capture audit verify --tenant {t.tenant_id}`; "
                                              "record the last hash outside the database to detect later "
                                              "removal of the newest events."}],
        "collected": collected,
    }


def _finding(finding_uuid: str, control: str, ok: bool, why: str, observation_uuids: list[str],
             tool: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uuid": finding_uuid,
        "title": f"{control.upper()} {CONTROLS[control]}: " + ("satisfied" if ok else "not satisfied"),
        "description": why,
        "origins": tool,
        "target": {"type": "statement-id", "target-id": f"{control}_smt",
                   "status": {"state": "satisfied" if ok else "not-satisfied", "reason": "pass" if ok else "fail"}},
        "related-observations": [{"observation-uuid": u} for u in observation_uuids],
    }
