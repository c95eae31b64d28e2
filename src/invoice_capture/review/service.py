"""The application core: receive a file, read it in the background, and apply people's decisions.

The bot, the upload page and the REST API all go through this class, so the rules are the same whichever door
an invoice came in by: originals are kept before anything else happens, every change is an audit event in the
same transaction as the change, and every decision is applied with the optimistic lock (a stale or concurrent
click changes nothing and is told who decided). Listeners (the bot) hear about each change after it commits,
to replace cards in place and send escalations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import uuid4

from invoice_capture.audit import chain
from invoice_capture.extraction.model import ExtractionError
from invoice_capture.extraction.pool import ExtractorPool
from invoice_capture.ingest.validation import FileInfo, validate_bytes
from invoice_capture.jobs import Jobs
from invoice_capture.review import checks
from invoice_capture.review.edits import apply_edits
from invoice_capture.review.view import invoice_view
from invoice_capture.review.workflow import AUDIT_ACTION, VERBS, VIEW_VERBS, Actor, Refused, may_act
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
    verb: str  # received | extracted | failed | approve | reject | escalate | save | retry | reopen
    actor: Actor
    previous_state: str = ""


@dataclass
class Received:
    invoice: dict[str, Any]
    duplicate: bool = False


@dataclass
class ActResult:
    invoice: dict[str, Any]
    applied: bool
    notice: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Change], Awaitable[None]]


class ReviewService:
    def __init__(self, db: Database, blobs: BlobStore, jobs: Jobs, extractor: ExtractorPool,
                 role_map: dict[str, str] | None = None) -> None:
        self.db = db
        self.blobs = blobs
        self.jobs = jobs
        self.extractor = extractor
        self.role_map = role_map or {}
        self.listeners: list[Listener] = []
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

    async def approvers(self, tenant_id: str) -> list[dict[str, str]]:
        """Who an invoice can be escalated to: ``{"id", "name", "channel_user_id"}``."""
        async with self.db.read() as s:
            users = await repo.users_with_roles(s, tenant_id, ("approver", "admin"))
        return [{"id": u.external_id, "name": u.name, "channel_user_id": u.channel_user_id} for u in users]

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
            inv = Invoice(id=str(uuid4()), tenant_id=tenant_id, filename=filename[:500], content_sha256=sha,
                          size=len(data), pages=info.pages if info else None, source=source,
                          source_ref=source_ref or {}, uploaded_by_id=actor.id, uploaded_by_name=actor.name,
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
            view = await self._view(s, inv)
        if not error:
            await self.jobs.enqueue(view["id"])
        await self._notify(Change(view, "failed" if error else "received", actor))
        return Received(view)

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
        try:
            result = await self.extractor.extract(self.blobs.local_path(sha), name, tenant_id=tenant_id)
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
                    summary = {k: v.get("value") for k, v in values["fields"].items()
                               if k in ("VendorName", "InvoiceId", "InvoiceTotal", "CurrencyCode")}
                    changes = {"state": ["extracting", values["state"]], "fields": [None, summary]}
                    if provenance := {k: v["engine"] for k, v in values["fields"].items() if v.get("engine")}:
                        changes["provenance"] = [None, provenance]  # which engine read each field (issue 6)
                    await chain.append(s, tenant_id=tenant_id, invoice_id=inv.id, action="extracted",
                                       actor_id="system", actor_name=SYSTEM.name, changes=changes)
            if not ok:
                return
            view = await self._view(s, await repo.get_invoice(s, invoice_id))
        await self._notify(Change(view, verb, SYSTEM, previous_state="extracting"))

    async def _extracted_values(self, s: Any, inv: Invoice, result: dict[str, Any]) -> dict[str, Any]:
        fields = result.get("fields") or {}
        items = result.get("items") or []
        values: dict[str, Any] = {"state": "needs_review", "result": result, "fields": fields, "items": items,
                                  "pages": result.get("pages") or inv.pages, "extracted_at": utcnow(),
                                  "error_code": "", "error_message": ""}
        values.update(self._denormalised(fields))
        dup = await self._duplicate(s, inv.tenant_id, inv.id, values["invoice_number_norm"], values["vendor_name"])
        values["duplicate_of"] = dup.id if dup else ""
        values["warnings"] = self._warnings(fields, items, result.get("warnings") or [], edited=False)
        return values

    @staticmethod
    def _denormalised(fields: dict[str, Any]) -> dict[str, Any]:
        number = str(checks.value(fields, "InvoiceId") or "")
        total = checks.value(fields, "InvoiceTotal")
        if total is None:
            total = checks.value(fields, "AmountDue")
        return {"vendor_name": str(checks.value(fields, "VendorName") or "")[:300], "invoice_number": number[:100],
                "invoice_number_norm": checks.normalise_number(number)[:100],
                "invoice_date": str(checks.value(fields, "InvoiceDate") or "")[:10],
                "total": Decimal(str(round(float(total), 2))) if isinstance(total, int | float) else None,
                "currency": str(checks.value(fields, "CurrencyCode") or "")[:3]}

    @staticmethod
    async def _duplicate(s: Any, tenant_id: str, invoice_id: str, number_norm: str, vendor: str) -> Invoice | None:
        for other in await repo.find_by_number(s, tenant_id, number_norm, exclude_id=invoice_id):
            if not vendor or not other.vendor_name or other.vendor_name.casefold() == vendor.casefold():
                return other
        return None

    @staticmethod
    def _warnings(fields: dict[str, Any], items: list[Any], extraction: list[str], *, edited: bool) -> list[str]:
        out = checks.arithmetic(fields, items) + checks.dates(fields)  # a duplicate is shown from duplicate_of
        if not edited:  # what the reader noticed; once a person has edited the values, the checks above speak
            out += [w for w in extraction if w not in out]
        return out

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
        why = may_act(verb, inv.state, actor, escalated_to=inv.escalated_to_id)
        if why:
            return ActResult(await self._view(s, inv), applied=False, notice=why)
        values, changes, reason = await self._decision_values(s, inv, verb, actor, data)
        if verb == "save" and not changes:
            return ActResult(await self._view(s, inv), applied=False, notice="Nothing was changed.")
        previous = inv.state
        if not await repo.update_invoice(s, inv.id, inv.version, **values):
            inv = await repo.get_invoice(s, invoice_id)
            assert inv is not None
            return ActResult(await self._view(s, inv), applied=False, notice=await self._stale_notice(s, inv))
        await chain.append(s, tenant_id=inv.tenant_id, invoice_id=inv.id, action=AUDIT_ACTION[verb],
                           actor_id=actor.id, actor_name=actor.name, changes=changes, reason=reason)
        inv = await repo.get_invoice(s, invoice_id)
        assert inv is not None
        return ActResult(await self._view(s, inv), applied=True, extra={"previous": previous})

    async def _decision_values(self, s: Any, inv: Invoice, verb: str, actor: Actor, data: dict[str, Any]
                               ) -> tuple[dict[str, Any], dict[str, Any], str]:
        reason = str(data.get("reason") or "").strip()[:2000]
        _, target = VERBS[verb]
        values: dict[str, Any] = {"state": target} if target else {}
        changes: dict[str, Any] = {"state": [inv.state, target]} if target else {}
        now = utcnow()
        if verb in ("approve", "reject"):
            if verb == "reject" and not reason:
                raise Refused("A reason is needed to reject an invoice.")
            values.update(decided_at=now, decided_by_id=actor.id, decided_by_name=actor.name,
                          decision_reason=reason)
        elif verb == "escalate":
            approver_id = str(data.get("approver") or "").strip()
            approver = await repo.get_user(s, inv.tenant_id, approver_id) if approver_id else None
            if approver is None or approver.role not in ("approver", "admin"):
                raise Refused("Pick an approver to escalate to.")
            values.update(escalated_at=now, escalated_to_id=approver.external_id, escalated_to_name=approver.name,
                          escalated_by_name=actor.name, escalation_reason=reason)
            changes["escalated_to"] = [None, approver.name]
        elif verb == "save":
            edits = data.get("fields") or {k[6:]: v for k, v in data.items() if k.startswith("field.")}
            fields, changes = apply_edits(inv.fields or {}, edits, actor.name)
            values.update(fields=fields, **self._denormalised(fields))
            dup = await self._duplicate(s, inv.tenant_id, inv.id, values["invoice_number_norm"], values["vendor_name"])
            values["duplicate_of"] = dup.id if dup else ""
            values["warnings"] = self._warnings(fields, inv.items or [], [], edited=True)
        elif verb == "retry":
            values.update(error_code="", error_message="")
        elif verb == "reopen":
            values.update(decided_at=None, decided_by_id="", decided_by_name="", decision_reason="")
        return values, changes, reason

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

