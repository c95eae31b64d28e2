"""The application core: receive a file, read it in the background, and apply people's decisions.

The bot, the upload page and the REST API all go through this class, so the rules are the same whichever door
an invoice came in by: originals are kept before anything else happens, every change is an audit event in the
same transaction as the change, and every decision is applied with the optimistic lock (a stale or concurrent
click changes nothing and is told who decided). Listeners (the bot) hear about each change after it commits,
to replace cards in place and send escalations and reminders.

The controls (issue 4) sit on the same path: after extraction and after every edit ``assess`` matches the vendor
master, runs the named checks and decides the HITL gate level from the tenant's policy; an invoice the gate lets
through is approved automatically (and says why); every decision is checked against the approval matrix here,
on the server, whatever the card showed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from invoice_capture.audit import chain
from invoice_capture.extraction.model import ExtractionError
from invoice_capture.extraction.pool import ExtractorPool
from invoice_capture.ingest.validation import FileInfo, validate_bytes
from invoice_capture.jobs import Jobs
from invoice_capture.review import learning, routing
from invoice_capture.review.assess import assess
from invoice_capture.review.edits import apply_edits
from invoice_capture.review.policy import Policy, PolicyBook
from invoice_capture.review.view import invoice_view
from invoice_capture.review.workflow import (
    APPROVER_ROLES,
    AUDIT_ACTION,
    VERBS,
    VIEW_VERBS,
    Actor,
    Context,
    Refused,
    may_act,
)
from invoice_capture.store import repository as repo
from invoice_capture.store.blobs import BlobStore, sha256_hex
from invoice_capture.store.db import Database
from invoice_capture.store.models import Invoice, utcnow

log = logging.getLogger(__name__)

SYSTEM = Actor("system", "Invoice Capture", "system")
#: At least one of these must be read for a file to be put up for review as an invoice (a cat photo is not).
INVOICE_EVIDENCE = ("InvoiceId", "InvoiceDate", "InvoiceTotal", "AmountDue", "SubTotal", "TotalTax")


@dataclass
class Change:
    """What listeners hear after a change commits."""

    invoice: dict[str, Any]
    verb: str  # received | extracted | failed | approve | reject | escalate | save | retry | reopen | remind
    actor: Actor
    previous_state: str = ""
    #: For ``remind``: who is reminded ({"id", "name"}) and which reminder this is (1: approver, 2: managers).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Received:
    invoice: dict[str, Any]
    duplicate: bool = False


@dataclass
class _Decision:
    """What a verb changes: column values, the audit event's changes and reason, and events to write first."""

    values: dict[str, Any]
    changes: dict[str, Any]
    reason: str
    before: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)


@dataclass
class ActResult:
    invoice: dict[str, Any]
    applied: bool
    notice: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Change], Awaitable[None]]


class ReviewService:
    def __init__(self, db: Database, blobs: BlobStore, jobs: Jobs, extractor: ExtractorPool,
                 role_map: dict[str, str] | None = None, policies: PolicyBook | None = None) -> None:
        self.db = db
        self.policies = policies or PolicyBook()
        self.blobs = blobs
        self.jobs = jobs
        self.extractor = extractor
        self.role_map = role_map or {}
        self.listeners: list[Listener] = []
        #: Fetches a file again from where it came from (Graph sources), for an invoice whose file could not be
        #: fetched at first (``receive_missing``): its Retry downloads it then. Raises ExtractionError.
        self.refetch: Callable[[str, dict[str, Any]], Awaitable[bytes]] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        jobs.set_handler(self.process)

    # ------------------------------------------------------------------------------------------ people

    async def actor(self, tenant_id: str, external_id: str, name: str = "", channel_user_id: str = "") -> Actor:
        """The acting user with their tenant role (created as a clerk on first contact).

        Read first: almost every call is a known user with nothing new, and a write transaction per click would
        cost more than the click itself."""
        async with self.db.read() as s:
            user = await repo.get_user(s, tenant_id, external_id)
            if user is not None and repo.user_is_current(user, name, channel_user_id, self.role_map):
                return Actor(user.external_id, user.name, user.role)
        async with self.db.write() as s:
            user = await repo.upsert_user(s, tenant_id, external_id, name, self.role_map, channel_user_id)
            return Actor(user.external_id, user.name, user.role)

    async def known_actor(self, tenant_id: str, external_id: str, name: str = "") -> Actor:
        """A person as the store knows them (for cards built outside their own turn); unknown people are clerks."""
        async with self.db.read() as s:
            user = await repo.get_user(s, tenant_id, external_id) if external_id else None
        if user is None:
            return Actor(external_id, name or external_id, "clerk")
        return Actor(user.external_id, user.name, user.role)

    def policy(self, tenant_id: str) -> Policy:
        return self.policies.for_tenant(tenant_id)

    async def approvers(self, tenant_id: str) -> list[dict[str, str]]:
        """Everyone who can decide escalated invoices: ``{"id", "name", "role", "channel_user_id"}``."""
        async with self.db.read() as s:
            users = await repo.users_with_roles(s, tenant_id, APPROVER_ROLES)
        return [{"id": u.external_id, "name": u.name, "role": u.role, "channel_user_id": u.channel_user_id}
                for u in users]

    async def permissions(self, view: dict[str, Any], actor: Actor,
                          approvers: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """What the card may offer ``actor`` for this invoice (routing.permissions), the same rules ``act`` applies."""
        people = [routing.Person(a["id"], a["name"], a.get("role", "approver"))
                  for a in (approvers if approvers is not None else await self.approvers(view["tenant_id"]))]
        return routing.permissions(self.policy(view["tenant_id"]), view, actor, people)

    async def channel_user_ids(self, tenant_id: str, external_ids: list[str]) -> list[str]:
        async with self.db.read() as s:
            return await repo.channel_user_ids(s, tenant_id, [x for x in external_ids if x])

    async def remember_conversation(self, tenant_id: str, conversation_id: str, reference: dict[str, Any], *,
                                    conversation_type: str, user_external_id: str) -> None:
        """Store where the bot can write to later (proactive messages). Read first: every message passes here and
        the reference almost never changes."""
        async with self.db.read() as s:
            if await repo.conversation_is_current(s, tenant_id, conversation_id, reference, conversation_type,
                                                  user_external_id):
                return
        async with self.db.write() as s:
            await repo.save_conversation(s, tenant_id, conversation_id, reference, conversation_type=conversation_type,
                                         user_external_id=user_external_id)

    async def conversation(self, tenant_id: str, conversation_id: str) -> dict[str, Any] | None:
        async with self.db.read() as s:
            return await repo.conversation_reference(s, tenant_id, conversation_id)

    async def people(self, tenant_id: str, roles: tuple[str, ...]) -> list[dict[str, str]]:
        """People with one of ``roles``: ``{"id", "name", "role"}`` (e.g. the admins told of a broken source)."""
        async with self.db.read() as s:
            users = await repo.users_with_roles(s, tenant_id, roles)
        return [{"id": u.external_id, "name": u.name, "role": u.role} for u in users]

    async def source_ref(self, invoice_id: str) -> dict[str, Any]:
        """Where an invoice came from, as its source recorded it (e.g. the conversation a source posts to)."""
        async with self.db.read() as s:
            inv = await repo.get_invoice(s, invoice_id)
            return dict(inv.source_ref or {}) if inv else {}

    async def personal_conversation(self, tenant_id: str, user_external_id: str) -> dict[str, Any] | None:
        async with self.db.read() as s:
            return await repo.personal_conversation(s, tenant_id, user_external_id)

    # ------------------------------------------------------------------------------------------ intake

    async def receive(self, tenant_id: str, actor: Actor, filename: str, data: bytes, *, source: str = "teams",
                      source_ref: dict[str, Any] | None = None, card: dict[str, Any] | None = None) -> Received:
        """Keep the original, record the invoice and queue its extraction.

        The same bytes again give the earlier invoice back (``duplicate=True``), never a second row or card.
        A file that fails validation is kept too, as a ``failed`` invoice with the reason, so it can be retried.
        ``card`` is where the "Reading…" card was posted: stored with the row, so the extraction job (which may
        finish before this call returns) can replace it in place.
        """
        sha = sha256_hex(data)
        async with self.db.write() as s:
            await repo.ensure_tenant(s, tenant_id)
            earlier = await repo.find_by_sha(s, tenant_id, sha)
            if earlier is not None:
                await chain.append(s, tenant_id=tenant_id, invoice_id=earlier.id, action="duplicate_received",
                                   actor_id=actor.id, actor_name=actor.name,
                                   changes={"filename": [None, filename], "source": [None, source]})
                if card:
                    earlier.cards = [*(earlier.cards or []), card][-20:]
                return Received(await self._view(s, earlier), duplicate=True)
            self.blobs.put(data)
            info: FileInfo | None = None
            error: ExtractionError | None = None
            try:
                info = validate_bytes(data, filename)
            except ExtractionError as exc:
                error = exc
            view = await self._record(s, tenant_id, actor, filename, sha=sha, size=len(data),
                                      pages=info.pages if info else None, source=source, source_ref=source_ref,
                                      card=card, error=error)
        if not error:
            await self.jobs.enqueue(view["id"])
        await self._notify(Change(view, "failed" if error else "received", actor))
        return Received(view)

    async def receive_missing(self, tenant_id: str, actor: Actor, filename: str, error: ExtractionError, *,
                              source: str, source_ref: dict[str, Any] | None = None) -> Received:
        """Record an invoice whose file could not be fetched at all (e.g. deleted from SharePoint before the
        download): a ``failed`` row with the reason, so it is seen, counted and can be retried, not lost."""
        async with self.db.write() as s:
            await repo.ensure_tenant(s, tenant_id)
            view = await self._record(s, tenant_id, actor, filename, sha="", size=0, pages=None, source=source,
                                      source_ref=source_ref, card=None, error=error)
        await self._notify(Change(view, "failed", actor))
        return Received(view)

    async def _record(self, s: Any, tenant_id: str, actor: Actor, filename: str, *, sha: str, size: int,
                      pages: int | None, source: str, source_ref: dict[str, Any] | None, card: dict[str, Any] | None,
                      error: ExtractionError | None) -> dict[str, Any]:
        """The new invoice row and its ``received`` (and, for a refused file, ``failed``) audit events."""
        inv = Invoice(id=str(uuid4()), tenant_id=tenant_id, filename=filename[:500], content_sha256=sha,
                      size=size, pages=pages, source=source, source_ref=source_ref or {},
                      uploaded_by_id=actor.id, uploaded_by_name=actor.name,
                      state="failed" if error else "received", version=1, cards=[card] if card else [],
                      error_code=error.code if error else "", error_message=error.message if error else "")
        s.add(inv)
        await s.flush()
        await chain.append(s, tenant_id=tenant_id, invoice_id=inv.id, action="received", actor_id=actor.id,
                           actor_name=actor.name, changes={"filename": [None, filename], "sha256": [None, sha],
                                                           "source": [None, source]})
        if error:
            await chain.append(s, tenant_id=tenant_id, invoice_id=inv.id, action="failed", actor_id="system",
                               actor_name=SYSTEM.name, changes={"state": ["received", "failed"]},
                               reason=f"{error.code}: {error.message}")
        return await self._view(s, inv)

    async def resume(self) -> int:
        """Queue again every invoice a previous run left ``received`` or ``extracting``."""
        async with self.db.read() as s:
            ids = [inv.id for inv in await repo.unfinished(s)]
        for invoice_id in ids:
            await self.jobs.enqueue(invoice_id)
        if ids:
            log.info("resumed %d unfinished invoice(s)", len(ids))
        return len(ids)

    # ------------------------------------------------------------------------------------------ extraction

    async def process(self, invoice_id: str) -> None:
        """The job: read the original and put the invoice up for review (idempotent per invoice state)."""
        async with self.db.write() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is None or inv.state not in ("received", "extracting"):
                return
            if not await repo.update_invoice(s, inv.id, inv.version, state="extracting", attempts=inv.attempts + 1):
                return
            tenant_id, sha, name, version = inv.tenant_id, inv.content_sha256, inv.filename, inv.version + 1
            source_ref = dict(inv.source_ref or {})
        try:
            if not sha and self.refetch is not None:
                sha = await self._refetched(invoice_id, tenant_id, name, source_ref)
            result = await self.extractor.extract(self.blobs.local_path(sha), name, tenant_id=tenant_id)
        except ExtractionError as exc:
            result = exc.to_json(name)
        except FileNotFoundError:
            result = {"file": name, "error": {"code": "original_missing",
                                              "message": "The original file is missing from storage."}}
        async with self.db.write() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is None or inv.version != version:  # changed meanwhile (e.g. deleted); nothing to do
                return
            if "error" not in result and not any(k in (result.get("fields") or {}) for k in INVOICE_EVIDENCE):
                result = {"file": name, "error": {"code": "not_an_invoice", "message": (
                    "No invoice number, date or amount could be found in this file. Is it an invoice? If it is a "
                    "photo, take it straight on, in good light, with the whole page in the frame; a PDF from the "
                    "vendor reads best.")}}
            if "error" in result:
                err = result["error"]
                ok = await repo.update_invoice(s, inv.id, version, state="failed", error_code=err["code"],
                                               error_message=err["message"], extracted_at=utcnow())
                verb = "failed"
                if ok:
                    await chain.append(s, tenant_id=tenant_id, invoice_id=inv.id, action="failed", actor_id="system",
                                       actor_name=SYSTEM.name, changes={"state": ["extracting", "failed"]},
                                       reason=f"{err['code']}: {err['message']}")
            else:
                values = await self._extracted_values(s, inv, result)
                ok = await repo.update_invoice(s, inv.id, version, **values)
                verb = "extracted"
                if ok:
                    await self._audit_extracted(s, inv, values)
            if not ok:
                return
            view = await self._view(s, await repo.get_invoice(s, invoice_id))
        await self._notify(Change(view, verb, SYSTEM, previous_state="extracting"))

    async def _refetched(self, invoice_id: str, tenant_id: str, name: str, source_ref: dict[str, Any]) -> str:
        """Download the file of an invoice recorded without one, keep it, and return its sha256."""
        assert self.refetch is not None
        data = await self.refetch(tenant_id, source_ref)
        validate_bytes(data, name)
        sha = sha256_hex(data)
        self.blobs.put(data)
        async with self.db.write() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is not None:
                inv.content_sha256, inv.size = sha, len(data)
        return sha

    async def _extracted_values(self, s: Any, inv: Invoice, result: dict[str, Any]) -> dict[str, Any]:
        """The columns after extraction: fields (improved by what clerks taught about this vendor), the checks,
        the gate, and the state the gate allows (approved automatically, or waiting for a person)."""
        items = result.get("items") or []
        fields, learned_warnings = await self._recall(s, inv.tenant_id, result)
        found = await assess(s, self.policy(inv.tenant_id), inv, fields, items,
                             [*(result.get("warnings") or []), *learned_warnings], edited=False)
        values: dict[str, Any] = {"result": result, "fields": fields, "items": items,
                                  "pages": result.get("pages") or inv.pages, "extracted_at": utcnow(),
                                  "error_code": "", "error_message": "", **found.values,
                                  "state": "auto_approved" if found.gate.automatic else "needs_review"}
        if found.gate.automatic:
            values.update(decided_at=utcnow(), decided_by_id="system", decided_by_name=SYSTEM.name,
                          decision_reason="; ".join(found.gate.reasons))
        return values

    async def _audit_extracted(self, s: Any, inv: Invoice, values: dict[str, Any]) -> None:
        """Three events, because auditors ask three questions: what was read, what level the policy chose and
        why, and whether the system approved it by itself."""
        summary = {k: v.get("value") for k, v in values["fields"].items()
                   if k in ("VendorName", "InvoiceId", "InvoiceTotal", "CurrencyCode")}
        state = values["state"]
        changes: dict[str, Any] = {"state": ["extracting", "needs_review"], "fields": [None, summary]}
        if provenance := {k: v["engine"] for k, v in values["fields"].items() if v.get("engine")}:
            changes["provenance"] = [None, provenance]  # which engine read each field
        await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action="extracted", actor_id="system",
                           actor_name=SYSTEM.name, changes=changes)
        await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action="gated", actor_id="system",
                           actor_name=SYSTEM.name, changes={
                               "level": [None, values["gate_level"]], "reasons": [None, values["gate_reasons"]],
                               "checks": [None, [c["rule"] for c in values["checks"]]],
                               "vendor_match": [None, values["vendor_match"] or None]})
        if state == "auto_approved":
            await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action="auto_approved",
                               actor_id="system", actor_name=SYSTEM.name,
                               changes={"state": ["needs_review", "auto_approved"]},
                               reason="; ".join(values["gate_reasons"]))

    # ------------------------------------------------------------------------------------------ decisions

    async def act(self, tenant_id: str, invoice_id: str, verb: str, seen_version: int | None, actor: Actor,
                  data: dict[str, Any] | None = None) -> ActResult:
        """Apply a card/page action. Stale or concurrent clicks come back ``applied=False`` with a notice."""
        data = data or {}
        async with self.db.write() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is not None and inv.tenant_id == tenant_id:
                result = await self._act(s, inv, verb, seen_version, actor, data)
            elif inv is not None:  # a card action naming another tenant's invoice: refuse and keep a record
                await repo.ensure_tenant(s, tenant_id)
                await chain.append(s, tenant_id=tenant_id, invoice_id="", action="refused_cross_tenant",
                                   actor_id=actor.id, actor_name=actor.name,
                                   changes={"invoice_id": [None, invoice_id], "verb": [None, verb]})
                log.warning("refused %s by %s (%s): invoice %s belongs to another tenant",
                            verb, actor.name, tenant_id, invoice_id)
                result = None
            else:
                result = None
        if result is None:
            raise Refused("This invoice does not exist or belongs to another organisation.", status=404)
        if result.applied:
            if verb == "retry":
                await self.jobs.enqueue(invoice_id)
            await self._notify(Change(result.invoice, verb, actor, previous_state=result.extra["previous"]))
        return result

    async def _act(self, s: Any, inv: Invoice, verb: str, seen_version: int | None, actor: Actor,
                   data: dict[str, Any]) -> ActResult:
        """The decision inside one transaction (the caller has checked the tenant)."""
        invoice_id = inv.id
        if verb in VIEW_VERBS:
            return ActResult(await self._view(s, inv), applied=False)
        if verb not in VERBS:
            raise Refused(f"Unknown action {verb!r}.")
        if seen_version is not None and seen_version != inv.version:
            return ActResult(await self._view(s, inv), applied=False, notice=await self._stale_notice(s, inv))
        policy = self.policy(inv.tenant_id)
        ctx = routing.context_for(policy, invoice_view(inv), actor)
        why = may_act(verb, inv.state, actor, escalated_to=inv.escalated_to_id, ctx=ctx)
        if why:
            if may_act(verb, inv.state, actor, escalated_to=inv.escalated_to_id) is None:  # the policy said no
                await self._refused(s, inv, verb, actor, why)
            return ActResult(await self._view(s, inv), applied=False, notice=why)
        decision = await self._decision_values(s, inv, verb, actor, data, policy, ctx)
        if verb == "save" and not decision.changes:
            return ActResult(await self._view(s, inv), applied=False, notice="Nothing was changed.")
        previous = inv.state
        before_fields = inv.fields or {}
        if not await repo.update_invoice(s, inv.id, inv.version, **decision.values):
            inv = await repo.get_invoice(s, invoice_id)
            assert inv is not None
            return ActResult(await self._view(s, inv), applied=False, notice=await self._stale_notice(s, inv))
        for action, changes, reason in decision.before:
            await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action=action, actor_id=actor.id,
                               actor_name=actor.name, changes=changes, reason=reason)
        await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action=AUDIT_ACTION[verb],
                           actor_id=actor.id, actor_name=actor.name, changes=decision.changes,
                           reason=decision.reason)
        edited = any(isinstance(f, dict) and f.get("method") == "manual" for f in before_fields.values())
        if verb == "save" or (verb == "approve" and not edited):  # a correction, or a confirmation: once each
            await self._learn(s, inv, before_fields, decision.values.get("fields", before_fields))
        inv = await repo.get_invoice(s, invoice_id)
        assert inv is not None
        return ActResult(await self._view(s, inv), applied=True, extra={"previous": previous})

    async def _decision_values(self, s: Any, inv: Invoice, verb: str, actor: Actor, data: dict[str, Any],
                               policy: Policy, ctx: Context) -> _Decision:
        reason = str(data.get("reason") or "").strip()[:2000]
        _, target = VERBS[verb]
        d = _Decision({"state": target} if target else {}, {"state": [inv.state, target]} if target else {}, reason)
        now = utcnow()
        if verb in ("approve", "reject"):
            if verb == "reject" and not reason:
                raise Refused("A reason is needed to reject an invoice.")
            if verb == "approve":
                self._approve_conditions(inv, data, ctx, d)
            d.values.update(decided_at=now, decided_by_id=actor.id, decided_by_name=actor.name,
                            decision_reason=d.reason)
        elif verb == "escalate":
            approver = await self._escalation_target(s, inv, actor, data, policy, ctx)
            d.values.update(escalated_at=now, escalated_to_id=approver.external_id, escalated_to_name=approver.name,
                            escalated_by_name=actor.name, escalation_reason=reason, reminders_sent=0,
                            reminded_at=None)
            d.changes["escalated_to"] = [inv.escalated_to_name or None, approver.name]
        elif verb == "save":
            edits = data.get("fields") or {k[6:]: v for k, v in data.items() if k.startswith("field.")}
            fields, d.changes = apply_edits(inv.fields or {}, edits, actor.name)
            found = await assess(s, policy, inv, fields, inv.items or [], [], edited=True)
            d.values.update(fields=fields, **found.values)
            if found.gate.level != inv.gate_level:
                d.changes["gate_level"] = [inv.gate_level or None, found.gate.level]
        elif verb == "retry":
            d.values.update(error_code="", error_message="")
        elif verb == "reopen":
            d.values.update(decided_at=None, decided_by_id="", decided_by_name="", decision_reason="",
                            gate_level="L2", gate_reasons=[f"reopened by {actor.name}", *(inv.gate_reasons or [])])
            d.changes["gate_level"] = [inv.gate_level or None, "L2"]
        return d

    @staticmethod
    def _approve_conditions(inv: Invoice, data: dict[str, Any], ctx: Context, d: _Decision) -> None:
        """What an approval needs beyond the button: a reason for a likely duplicate, and for changed bank
        details the approver's confirmation that they called the vendor back (audited as its own event)."""
        if ctx.duplicate and not d.reason:
            raise Refused("This looks like a duplicate of an earlier invoice. To approve it anyway, say why it is "
                          "not a duplicate.")
        if ctx.bank_changed:
            confirmed = str(data.get("callback_confirmed") or "").lower() in ("true", "1", "yes", "on")
            note = str(data.get("callback_note") or "").strip()[:2000]
            if not confirmed or not note:
                raise Refused("The bank details differ from the vendor master. Call the vendor on a number you "
                              "already have, confirm the account, and note who confirmed it before approving.")
            bank = next((c for c in inv.checks or [] if c.get("rule") == "vendor.bank_changed"), {})
            d.before.append(("callback_confirmed", {"bank_check": [None, bank.get("message")]}, note))
            d.reason = d.reason or f"Call-back: {note}"

    async def _escalation_target(self, s: Any, inv: Invoice, actor: Actor, data: dict[str, Any], policy: Policy,
                                 ctx: Context) -> Any:
        approver_id = str(data.get("approver") or "").strip()
        approver = await repo.get_user(s, inv.tenant_id, approver_id) if approver_id else None
        if approver is None or approver.role not in APPROVER_ROLES:
            raise Refused("Pick an approver to escalate to.")
        if approver.external_id == actor.id:
            raise Refused("You cannot escalate an invoice to yourself.")
        if inv.state == "escalated" and approver.external_id == inv.escalated_to_id:
            raise Refused(f"This invoice is already waiting for {approver.name}.")
        people = [routing.Person(u.external_id, u.name, u.role)
                  for u in await repo.users_with_roles(s, inv.tenant_id, APPROVER_ROLES)]
        options = routing.candidates(policy, people, ctx.amount, exclude=actor.id)
        chosen = next((c for c in options if c["id"] == approver.external_id), None)
        if chosen is not None and not chosen["covers"] and any(c["covers"] for c in options):
            raise Refused(f"{approver.name}'s approval limit ({chosen['limit']}) does not cover this invoice "
                          f"({ctx.amount_words}). Choose someone whose limit does.")
        return approver

    async def _refused(self, s: Any, inv: Invoice, verb: str, actor: Actor, why: str) -> None:
        """A decision the approval matrix forbids is kept on record: a forged or stale button is worth knowing."""
        await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action="refused", actor_id=actor.id,
                           actor_name=actor.name, changes={"verb": [None, verb]}, reason=why)

    async def _stale_notice(self, s: Any, inv: Invoice) -> str:
        if inv.state in ("approved", "rejected") and inv.decided_by_name:
            when = inv.decided_at.strftime("%d %b %Y %H:%M UTC") if inv.decided_at else ""
            return f"{inv.decided_by_name} already {inv.state} this invoice ({when}). This is the current card."
        if inv.state == "escalated":
            return f"{inv.escalated_by_name} already escalated this invoice to {inv.escalated_to_name}."
        trail = await repo.audit_trail(s, inv.id)
        last = next((e for e in reversed(trail) if e.actor_id != "system"), None)
        if last is not None:
            return f"{last.actor_name} changed this invoice ({last.action}) meanwhile. This is the current card."
        return "This card was out of date; this is the current one."

    # ------------------------------------------------------------------------------------------ learning

    async def _recall(self, s: Any, tenant_id: str, result: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The fields with what clerks taught about this vendor applied (review/learning.py)."""
        fields = result.get("fields") or {}
        keys = learning.identity_keys(fields)
        memory = await repo.vendor_memory(s, tenant_id, keys) if keys else None
        if not memory:
            return fields, []
        return learning.recall(memory, result)

    async def _learn(self, s: Any, inv: Invoice, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Remember a correction (or a confirmation: approved unchanged) under every identity of the vendor,
        including the name the engine read before the correction, so the next invoice finds it either way."""
        result = inv.result or {}
        if not result.get("fields") and not result.get("content"):
            return
        keys = list(dict.fromkeys(learning.identity_keys(after, inv.vendor_id) + learning.identity_keys(before)))
        if not keys:
            return
        memory = await repo.vendor_memory(s, inv.tenant_id, keys) or {}
        await repo.save_vendor_memory(s, inv.tenant_id, keys, learning.learn(memory, result, before, after))

    # ------------------------------------------------------------------------------------------ reminders

    async def remind(self, now: dt.datetime | None = None) -> int:
        """Ping whoever an escalated invoice has waited for too long (policy ``reminders``): the approver again
        after ``approver_after_hours``, then the tenant's managers after ``manager_after_hours``. Each reminder is
        sent once per escalation and audited; it is not a change of the invoice (no version bump), so the
        approver's card stays valid. Returns how many reminders were sent. Called by a background loop."""
        now = now or utcnow()
        sent: list[Change] = []
        async with self.db.write() as s:
            for inv in await repo.list_escalated(s):
                rem = self.policy(inv.tenant_id).reminders
                if inv.escalated_at is None:
                    continue
                waited_h = (now - inv.escalated_at).total_seconds() / 3600
                if inv.reminders_sent == 0 and waited_h >= rem.approver_after_hours:
                    step, targets = 1, [{"id": inv.escalated_to_id, "name": inv.escalated_to_name}]
                elif inv.reminders_sent == 1 and waited_h >= rem.manager_after_hours:
                    managers = await repo.users_with_roles(s, inv.tenant_id, ("manager",))
                    step, targets = 2, [{"id": m.external_id, "name": m.name} for m in managers]
                else:
                    continue
                await repo.mark_reminded(s, inv.id, step, now)
                names = ", ".join(t["name"] for t in targets) or "nobody (no manager is set up)"
                await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action="reminded",
                                   actor_id="system", actor_name=SYSTEM.name,
                                   changes={"reminded": [None, names], "step": [None, step]},
                                   reason=f"waiting {waited_h:.0f} h for {inv.escalated_to_name}")
                view = invoice_view(inv)
                sent.append(Change(view, "remind", SYSTEM, previous_state=inv.state,
                                   extra={"to": targets, "step": step, "waited_hours": round(waited_h)}))
        for change in sent:
            await self._notify(change)
        return len(sent)

    # ------------------------------------------------------------------------------------------ reading

    async def view(self, tenant_id: str, invoice_id: str) -> dict[str, Any] | None:
        async with self.db.read() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is None or inv.tenant_id != tenant_id:
                return None
            return await self._view(s, inv)

    async def _view(self, s: Any, inv: Invoice) -> dict[str, Any]:
        dup = await repo.get_invoice(s, inv.duplicate_of) if inv.duplicate_of else None
        return invoice_view(inv, await repo.audit_trail(s, inv.id), dup)

    async def record_card(self, invoice_id: str, ref: dict[str, Any]) -> None:
        """Remember where a card for this invoice was posted (conversation reference + activity id), so every
        copy can be replaced in place when the invoice changes. Not a change of the invoice: no version bump."""
        async with self.db.write() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is None:
                return
            key = (ref.get("conversation_id"), ref.get("activity_id"))
            cards = [c for c in inv.cards or [] if (c.get("conversation_id"), c.get("activity_id")) != key]
            inv.cards = [*cards, ref][-20:]

    async def cards(self, invoice_id: str) -> list[dict[str, Any]]:
        async with self.db.read() as s:
            inv = await repo.get_invoice(s, invoice_id)
            return list(inv.cards or []) if inv else []

    async def original(self, tenant_id: str, invoice_id: str) -> tuple[str, bytes] | None:
        async with self.db.read() as s:
            inv = await repo.get_invoice(s, invoice_id)
            if inv is None or inv.tenant_id != tenant_id:
                return None
            return inv.filename, self.blobs.get(inv.content_sha256)

    # ------------------------------------------------------------------------------------------ listeners

    async def _notify(self, change: Change) -> None:
        """Tell listeners in the background: the clicker's answer must not wait for other chats' cards."""
        for listener in self.listeners:
            task = asyncio.create_task(self._call(listener, change))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _call(listener: Listener, change: Change) -> None:
        try:
            await listener(change)
        except Exception:  # a card that cannot be updated must not undo a committed decision
            log.exception("listener failed for %s on invoice %s", change.verb, change.invoice["id"])

    def busy(self) -> bool:
        return bool(self._pending)

    async def idle(self) -> None:
        """Wait until every listener call started so far has finished (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

