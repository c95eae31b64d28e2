"""The Teams bot as a user meets it, without HTTP to Teams: botbuilder's TestAdapter drives ``InvoiceBot`` against
a real ``ReviewService`` (SQLite file, local originals, in-process jobs) with a fake extractor, and files are
served from a local HTTP server like Teams' pre-authenticated download links. What the bot posts, updates and
answers to card clicks is inspected on the adapter, and every card must be one Teams would render."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ResourceResponse,
)
from sqlalchemy import select

from bot.files import FILE_DOWNLOAD_INFO
from bot.handler import ADAPTIVE_CARD, InvoiceBot
from bot.proactive import CardKeeper
from invoice_capture.jobs import Jobs
from invoice_capture.review.service import ReviewService
from invoice_capture.store import repository as repo
from invoice_capture.store.blobs import LocalBlobStore
from invoice_capture.store.db import Database
from invoice_capture.store.models import AuditEvent
from tests.cardschema import assert_valid_card, data_of, inputs, verbs
from tests.fakes.activities import ANA, BO, BOT, CY, TENANT, TeamsUser, personal_conv
from tests.fakes.connector import card_text
from tests.fakes.files import FileServer
from tests.make_invoice import draw

_ids = itertools.count(1)
TODAY = dt.date.today()


# ------------------------------------------------------------------------------------------ fakes


def fv(value: Any, confidence: float = 0.97) -> dict[str, Any]:
    """One field of the extraction contract."""
    return {"value": value, "text": str(value), "confidence": confidence, "page": 1, "bbox": [10, 10, 60, 14],
            "method": "label"}


def extraction(name: str, *, vendor: str = "Contoso", number: str = "INV-100", total: float = 110.0,
               currency: str = "USD") -> dict[str, Any]:
    """A clean extraction: closes arithmetically, dated recently, so the card carries no warnings."""
    return {
        "file": name, "engine": "fake", "pages": 1, "doc_type": "invoice",
        "fields": {
            "VendorName": fv(vendor), "InvoiceId": fv(number),
            "InvoiceDate": fv((TODAY - dt.timedelta(days=5)).isoformat()),
            "DueDate": fv((TODAY + dt.timedelta(days=25)).isoformat(), 0.92),
            "SubTotal": fv(round(total / 1.1, 2)), "TotalTax": fv(round(total - round(total / 1.1, 2), 2)),
            "InvoiceTotal": fv(total), "CurrencyCode": fv(currency, 0.99),
            "PurchaseOrder": fv("PO-1", 0.7),
        },
        "items": [{"Description": fv("Consulting"), "Amount": fv(round(total / 1.1, 2))}],
        "content": f"{vendor} invoice {number}", "warnings": [], "timings": {"total_s": 0.01},
    }


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


class RecordingAdapter(TestAdapter):
    """TestAdapter that also keeps the id it answered for each sent activity (the id a later update names)."""

    def __init__(self, logic: Callable[..., Any]) -> None:
        super().__init__(logic)
        self.sent: list[tuple[str, Activity]] = []

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        responses = await super().send_activities(context, activities)
        kept = [a for a in activities if self.send_trace_activities or a.type != "trace"]
        self.sent.extend((r.id, a) for r, a in zip(responses, kept, strict=True))
        return responses


# ------------------------------------------------------------------------------------------ fixtures


@dataclass
class Env:
    bot: InvoiceBot
    adapter: RecordingAdapter
    service: ReviewService
    jobs: Jobs
    extractor: FakeExtractor
    files: FileServer
    file_url: Callable[[str], str]
    tmp: Path

    async def settle(self) -> None:
        """Wait for downloads, extraction jobs and card updates, until nothing is left running."""
        await self.bot.idle()


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    server = await FileServer().start()

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ic.db'}")
    await db.migrate()
    jobs = Jobs("memory")
    await jobs.start()
    extractor = FakeExtractor()
    service = ReviewService(db, LocalBlobStore(tmp_path / "blobs"), jobs, extractor,  # type: ignore[arg-type]
                            role_map={"bo-oid": "approver", "cy-oid": "manager"})
    bot = InvoiceBot(service)
    adapter = RecordingAdapter(bot.on_turn)
    bot.adapter = adapter
    service.listeners.append(CardKeeper(bot))
    e = Env(bot, adapter, service, jobs, extractor, server, server.url, tmp_path)
    try:
        yield e
    finally:
        await e.settle()
        await jobs.stop()
        if bot._http is not None:
            await bot._http.close()
        await db.close()
        await server.stop()


# ------------------------------------------------------------------------------------------ activities


def activity(user: TeamsUser = ANA, *, tenant: str = TENANT, conversation_type: str = "personal",
             conversation_id: str | None = None, **fields: Any) -> Activity:
    """An msteams activity as Teams sends it (ids as in tests/fakes/activities.py)."""
    return Activity(
        type=fields.pop("type", "message"), id=f"act-{next(_ids)}", channel_id="msteams",
        service_url="https://smba.example.test/", locale="en-US",
        from_property=ChannelAccount(id=user.id, name=user.name, aad_object_id=user.aad),
        recipient=ChannelAccount(id=BOT["id"], name=BOT["name"]),
        conversation=ConversationAccount(id=conversation_id or personal_conv(user), conversation_type=conversation_type,
                                         tenant_id=tenant),
        channel_data={"tenant": {"id": tenant}}, **fields)


def card_of(act: Activity) -> dict[str, Any]:
    cards = [a.content for a in act.attachments or [] if a.content_type == ADAPTIVE_CARD]
    assert len(cards) == 1, f"expected one Adaptive Card, got {act.attachments!r}"
    return cards[0]


def pdf_bytes(tmp: Path, label: str) -> bytes:
    """A small real PDF (the service validates magic bytes and page count before anything else)."""
    return draw(tmp / f"{label}.pdf", [[(20, 20, f"Invoice {label}")]]).read_bytes()








async def say(e: Env, text: str, user: TeamsUser = ANA, **kw: Any) -> dict[str, Any]:
    """Send a text message; return the one card the bot answers with (validated)."""
    before = len(e.adapter.sent)
    await e.adapter.receive_activity(activity(user, text=text, **kw))
    replies = e.adapter.sent[before:]
    assert len(replies) == 1, [a.type for _, a in replies]
    card = card_of(replies[0][1])
    assert_valid_card(card)
    return card


async def drop(e: Env, name: str, data: bytes, user: TeamsUser = ANA) -> tuple[str, dict[str, Any]]:
    """A file dropped into a 1:1 chat; returns (id of the "Reading…" message, the card it shows when done)."""
    e.files.add(name, data)
    att = Attachment(content_type=FILE_DOWNLOAD_INFO, name=name, content_url=e.file_url(name),
                     content={"downloadUrl": e.file_url(name), "uniqueId": f"u-{next(_ids)}", "fileType": "pdf"})
    before = len(e.adapter.sent)
    await e.adapter.receive_activity(activity(user, text="", attachments=[att]))
    replies = e.adapter.sent[before:]
    assert len(replies) == 1
    reading_id, reading = replies[0]
    assert "Reading" in card_text(card_of(reading)) and name in card_text(card_of(reading))
    await e.settle()
    return reading_id, current_card(e, reading_id)


def current_card(e: Env, activity_id: str) -> dict[str, Any]:
    """What a posted message shows now: its last update, else what was posted."""
    for act in reversed(e.adapter.updated_activities):
        if act.id == activity_id:
            return card_of(act)
    return card_of(next(a for i, a in e.adapter.sent if i == activity_id))


async def click(e: Env, verb: str, data: dict[str, Any], user: TeamsUser = ANA, **kw: Any) -> dict[str, Any]:
    """An Action.Execute as Teams sends it; returns the card in the invoke response (status and shape checked)."""
    response = await invoke(e, verb, data, user, **kw)
    assert response.status == 200
    body = response.body
    assert isinstance(body, AdaptiveCardInvokeResponse)
    assert body.status_code == 200 and body.type == ADAPTIVE_CARD
    assert_valid_card(body.value)
    return body.value


async def invoke(e: Env, verb: str, data: dict[str, Any], user: TeamsUser = ANA, **kw: Any) -> InvokeResponse:
    before = len(e.adapter.sent)
    act = activity(user, type="invoke", name="adaptiveCard/action",
                   value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}, **kw)
    await e.adapter.receive_activity(act)
    answers = [a for _, a in e.adapter.sent[before:] if a.type == "invokeResponse"]
    assert len(answers) == 1, "an invoke must be answered exactly once"
    assert isinstance(answers[0].value, InvokeResponse)
    return answers[0].value


async def audit(e: Env, invoice_id: str) -> list[tuple[str, str]]:
    async with e.service.db.read() as s:
        rows = await s.execute(select(AuditEvent.action, AuditEvent.actor_name)
                               .where(AuditEvent.invoice_id == invoice_id).order_by(AuditEvent.seq))
        return [(a, n) for a, n in rows.all()]


# ------------------------------------------------------------------------------------------ text commands


@pytest.mark.parametrize("text", ["help", "hello", "what can you do", "<at>Invoice Capture</at>", "approve all"])
async def test_help_and_unknown_text_get_the_help_card(env: Env, text: str) -> None:
    card = await say(env, text)
    shown = card_text(card)
    assert "What I can do" in shown
    for command in ("status", "pending [vendor]", "summary", "show <invoice number>"):
        assert command in shown


async def test_a_message_remembers_the_conversation(env: Env) -> None:
    """Proactive messages (escalations) need the user's 1:1 conversation reference from any earlier turn."""
    await say(env, "hi", user=BO)
    async with env.service.db.read() as s:
        ref = await repo.personal_conversation(s, TENANT, BO.aad)
    assert ref is not None and ref["conversation"]["id"] == personal_conv(BO)


async def test_status_on_an_empty_tenant(env: Env) -> None:
    card = await say(env, "status")
    shown = card_text(card)
    assert "0 invoices in total" in shown and "Nothing is waiting." in shown
    assert verbs(card) == set()


async def test_status_pending_summary_show(env: Env) -> None:
    await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    env.extractor.results["b.pdf"] = [extraction("b.pdf", vendor="Fabrikam", number="FAB-7", total=55.0,
                                                 currency="EUR")]
    _, fab = await drop(env, "b.pdf", pdf_bytes(env.tmp, "b"))
    await click(env, "approve", data_of(fab, "approve"))

    status = await say(env, "status", user=CY)
    facts = {f["title"]: f["value"] for f in _facts(status)}
    assert facts["Needs review"] == "1" and facts["Approved"] == "1" and facts["Escalated"] == "0"
    assert "2 invoices in total" in card_text(status)
    assert "Oldest waiting: INV-100 from Contoso" in card_text(status)
    assert verbs(status) == {"show"}

    pending = await say(env, "what's pending?", user=CY)
    text_ = card_text(pending)
    assert "INV-100" in text_ and "Contoso" in text_ and "110.00 USD" in text_
    assert "FAB-7" not in text_, "approved invoices are not pending"
    opened = await click(env, "show", data_of(pending, "show"), user=CY)
    assert "Contoso" in card_text(opened) and "Needs review" in card_text(opened)

    assert "INV-100" in card_text(await say(env, "pending contoso", user=CY))
    nothing = card_text(await say(env, "pending for Fabrikam", user=CY))
    assert "Nothing is waiting for Fabrikam." in nothing

    summary = await say(env, "summary this month", user=CY)
    facts = {f["title"]: f["value"] for f in _facts(summary)}
    assert facts["Received"] == "2" and facts["Approved"] == "1" and facts["Rejected"] == "0"
    assert facts["EUR"] == "55.00 EUR" and facts["USD"] == "110.00 USD"
    assert "Summary for this month" in card_text(summary)


def _facts(card: dict[str, Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                out.extend(node["facts"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return out


@pytest.mark.parametrize("asked", ["show INV-100", "show invoice INV-0100", "show inv-100", "Show #INV-100",
                                   "show a.pdf", "show inv 100"])
async def test_show_finds_the_invoice(env: Env, asked: str) -> None:
    await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    card = await say(env, asked)
    assert "Contoso" in card_text(card) and "INV-100" in card_text(card)
    assert {"approve", "edit", "reject"} <= verbs(card)


async def test_consecutive_numbers_are_different_invoices(env: Env) -> None:
    env.extractor.results["one.pdf"] = [extraction("one.pdf", number="INV-1")]
    env.extractor.results["two.pdf"] = [extraction("two.pdf", number="INV-2")]
    _, one = await drop(env, "one.pdf", pdf_bytes(env.tmp, "one"))
    _, two = await drop(env, "two.pdf", pdf_bytes(env.tmp, "two"))
    assert "duplicate" not in card_text(two).lower()
    shown = await say(env, "show INV-1")
    assert data_of(shown, "approve")["invoice_id"] == data_of(one, "approve")["invoice_id"]


async def test_show_not_found(env: Env) -> None:
    await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    card = await say(env, "show NOPE-9")
    assert "Not found" in card_text(card) and "No invoice numbered 'NOPE-9'" in card_text(card)
    assert verbs(card) == set()


async def test_show_does_not_cross_tenants(env: Env) -> None:
    await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    card = await say(env, "show INV-100", tenant="tenant-other")
    assert "Not found" in card_text(card)


# ------------------------------------------------------------------------------------------ files


async def test_file_gets_a_reading_card_then_the_review_card_in_place(env: Env) -> None:
    data = pdf_bytes(env.tmp, "a")
    reading_id, card = await drop(env, "a.pdf", data)
    updates = [a for a in env.adapter.updated_activities if a.id == reading_id]
    assert updates, "the Reading card was not replaced"
    assert all(a.conversation.id == personal_conv(ANA) for a in updates)
    assert_valid_card(card)
    shown = card_text(card)
    assert "Contoso" in shown and "INV-100" in shown and "110.00 USD" in shown and "Needs review" in shown
    assert verbs(card) == {"approve", "edit", "reject"}, "no approver has talked to the bot: no Escalate button"
    assert "No approver is set up yet" in shown
    assert env.extractor.calls == ["a.pdf"]
    invoice_id = data_of(card, "approve")["invoice_id"]
    assert (await env.service.original(TENANT, invoice_id)) == ("a.pdf", data)
    assert [a for a, _ in await audit(env, invoice_id)] == ["received", "extracted"]


async def test_bot_idle_waits_for_the_review_card(env: Env) -> None:
    """bot.idle() is the documented way for tests and shutdown to wait for background work."""
    env.files.add("a.pdf", pdf_bytes(env.tmp, "a"))
    att = Attachment(content_type=FILE_DOWNLOAD_INFO, name="a.pdf",
                     content={"downloadUrl": env.file_url("a.pdf"), "uniqueId": "u-a", "fileType": "pdf"})
    await env.adapter.receive_activity(activity(ANA, text="", attachments=[att]))
    reading_id = env.adapter.sent[-1][0]
    await env.bot.idle()
    assert any(a.id == reading_id and "Approve" in card_text(card_of(a)) for a in env.adapter.updated_activities)


async def test_the_same_file_again_gives_the_same_invoice(env: Env) -> None:
    data = pdf_bytes(env.tmp, "a")
    _, first = await drop(env, "a.pdf", data)
    second_id, second = await drop(env, "a-again.pdf", data)
    assert data_of(second, "approve")["invoice_id"] == data_of(first, "approve")["invoice_id"]
    assert "You sent this file before" in card_text(second)
    assert env.extractor.calls == ["a.pdf"], "a duplicate is not read again"
    assert_valid_card(second)
    assert second_id != ""


async def test_a_second_file_with_the_same_number_is_flagged(env: Env) -> None:
    """A re-sent scan is different bytes but the same invoice: the card must warn before anyone pays twice."""
    _, first = await drop(env, "scan-1.pdf", pdf_bytes(env.tmp, "scan-1"))
    _, second = await drop(env, "scan-2.pdf", pdf_bytes(env.tmp, "scan-2"))
    assert data_of(second, "approve")["invoice_id"] != data_of(first, "approve")["invoice_id"]
    assert "Possible duplicate of INV-100" in card_text(second)
    assert "duplicate" not in card_text(first).lower()


async def test_a_possible_duplicate_is_said_once(env: Env) -> None:
    await drop(env, "scan-1.pdf", pdf_bytes(env.tmp, "scan-1"))
    _, second = await drop(env, "scan-2.pdf", pdf_bytes(env.tmp, "scan-2"))
    lines = [line for line in card_text(second).splitlines() if "Possible duplicate" in line]
    assert len(lines) == 1, lines


async def test_extraction_error_gives_a_problem_card_with_retry(env: Env) -> None:
    env.extractor.results["locked.pdf"] = [failure("locked.pdf")]
    reading_id, card = await drop(env, "locked.pdf", pdf_bytes(env.tmp, "locked"))
    assert_valid_card(card)
    shown = card_text(card)
    assert "Could not process locked.pdf" in shown and "password-protected" in shown
    assert verbs(card) == {"retry"}
    retry = data_of(card, "retry")
    view = await env.service.view(TENANT, retry["invoice_id"])
    assert view is not None and view["state"] == "failed" and view["error"]["code"] == "encrypted_pdf"

    # the clerk fixed nothing but the reader was only briefly unable (the fake now succeeds): Retry reads it again
    answer = await click(env, "retry", retry)
    assert "Reading locked.pdf" in card_text(answer)
    await env.settle()
    done = current_card(env, reading_id)
    assert "Approve" in card_text(done) and "Contoso" in card_text(done)
    assert env.extractor.calls == ["locked.pdf", "locked.pdf"]
    assert [a for a, _ in await audit(env, retry["invoice_id"])] == ["received", "failed", "retried", "extracted"]


async def test_a_file_that_is_not_an_invoice_is_refused_before_extraction(env: Env) -> None:
    """Validation runs on the downloaded bytes: a Word file named .pdf never reaches the extractor."""
    reading_id, card = await drop(env, "report.pdf", b"PK\x03\x04" + b"word/document.xml" + b"\0" * 200)
    assert_valid_card(card)
    assert "Could not process report.pdf" in card_text(card) and verbs(card) == {"retry"}
    assert env.extractor.calls == []
    assert reading_id


async def test_an_expired_link_says_so(env: Env) -> None:
    att = Attachment(content_type=FILE_DOWNLOAD_INFO, name="gone.pdf",
                     content={"downloadUrl": env.file_url("gone.pdf"), "uniqueId": "u-g", "fileType": "pdf"})
    await env.adapter.receive_activity(activity(ANA, text="", attachments=[att]))
    reading_id = env.adapter.sent[-1][0]
    await env.settle()
    card = current_card(env, reading_id)
    assert_valid_card(card)
    assert "the file is gone" in card_text(card)
    assert verbs(card) == set(), "nothing was stored, so there is nothing to retry"


async def test_sharepoint_link_in_a_group_chat_explains_the_set_up(env: Env) -> None:
    html = ('<div><a href="https://contoso.sharepoint.com/sites/ap/Shared%20Documents/inv.pdf">inv.pdf</a>'
            "</div>")
    card = await say(env, "<at>Invoice Capture</at> please read this", attachments=[
        Attachment(content_type="text/html", content=html)],
        conversation_type="groupChat", conversation_id="19:group-chat@thread.v2")
    shown = card_text(card)
    assert "I can't reach that file" in shown
    assert "1:1 chat" in shown and "Files.Read.All" in shown
    assert env.extractor.calls == []


# ------------------------------------------------------------------------------------------ card actions


async def test_approve(env: Env) -> None:
    reading_id, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    data = data_of(card, "approve")
    done = await click(env, "approve", data)
    assert "Approved by Ana Clerk" in card_text(done)
    assert not verbs(done) & {"approve", "reject", "edit", "escalate"}
    await env.settle()
    assert "Approved by Ana Clerk" in card_text(current_card(env, reading_id)), "the chat's card is replaced too"
    view = await env.service.view(TENANT, data["invoice_id"])
    assert view is not None and view["state"] == "approved" and view["version"] == data["version"] + 1


async def test_a_stale_click_changes_nothing_and_says_who_decided(env: Env) -> None:
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    await click(env, "approve", data_of(card, "approve"))
    stale = await click(env, "reject", {**data_of(card, "reject"), "reason": "wrong vendor"}, user=BO)
    assert "Ana Clerk already approved this invoice" in card_text(stale)
    again = await click(env, "approve", data_of(card, "approve"), user=BO)
    assert "already" in card_text(again)
    assert [a for a, _ in await audit(env, data_of(card, "approve")["invoice_id"])].count("approved") == 1
    assert "rejected" not in [a for a, _ in await audit(env, data_of(card, "approve")["invoice_id"])]


async def test_edit_then_save(env: Env) -> None:
    reading_id, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    edit = await click(env, "edit", data_of(card, "edit"))
    fields = inputs(edit)
    assert fields["field.InvoiceId"]["value"] == "INV-100" and fields["field.InvoiceTotal"]["value"] == 110.0
    assert {"save", "cancel"} <= verbs(edit)

    cancel = await click(env, "cancel", data_of(edit, "cancel"))
    assert "approve" in verbs(cancel) and not inputs(cancel).keys() & {"field.InvoiceId"}

    # Teams sends every input back with the action's data, changed or not
    save = {**data_of(edit, "save"), **{k: v.get("value", "") for k, v in fields.items()},
            "field.InvoiceId": "INV-200"}
    saved = await click(env, "save", save)
    shown = card_text(saved)
    assert "INV-200" in shown and "edited by Ana Clerk" in shown
    assert "edited" in shown and "INV-100 → INV-200" in shown, "the history line names the change"
    assert "approve" in verbs(saved)
    invoice_id = save["invoice_id"]
    assert [a for a, _ in await audit(env, invoice_id)] == ["received", "extracted", "edited"]
    await env.settle()
    assert "INV-200" in card_text(current_card(env, reading_id))
    assert "INV-200" in card_text(await say(env, "show INV-200"))


async def test_save_without_changes_is_not_an_edit(env: Env) -> None:
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    edit = await click(env, "edit", data_of(card, "edit"))
    same = {**data_of(edit, "save"), **{k: v.get("value", "") for k, v in inputs(edit).items()}}
    out = await click(env, "save", same)
    assert "Nothing was changed." in card_text(out)
    assert "edited" not in [a for a, _ in await audit(env, same["invoice_id"])]


async def test_save_with_an_unreadable_value_keeps_everything(env: Env) -> None:
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    edit = await click(env, "edit", data_of(card, "edit"))
    bad = {**data_of(edit, "save"), "field.IBAN": "DE00 1234", "field.InvoiceId": "INV-300"}
    out = await click(env, "save", bad)
    assert "fails its checksum" in card_text(out)
    view = await env.service.view(TENANT, bad["invoice_id"])
    assert view is not None and view["invoice_number"] == "INV-100"


async def test_reject_needs_a_reason(env: Env) -> None:
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    out = await click(env, "reject", data_of(card, "reject"))
    assert "A reason is needed to reject an invoice." in card_text(out)
    assert "Needs review" in card_text(out) and "approve" in verbs(out)
    view = await env.service.view(TENANT, data_of(card, "reject")["invoice_id"])
    assert view is not None and view["state"] == "needs_review"

    done = await click(env, "reject", {**data_of(card, "reject"), "reason": "Not our order"})
    assert "Rejected by Ana Clerk: Not our order" in card_text(done)


async def test_escalate_messages_the_approver(env: Env) -> None:
    await say(env, "hi", user=BO)  # Bo's 1:1 chat exists, so the bot can reach him
    reading_id, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    assert "Bo Approver" in card_text(card), "approvers are offered in the Escalate form"
    esc = {**data_of(card, "escalate"), "approver": BO.aad, "reason": "above my limit"}
    out = await click(env, "escalate", esc)
    assert "Escalated to Bo Approver" in card_text(out) and "Waiting for Bo Approver" in card_text(out)
    assert verbs(out) == set(), "the clerk no longer decides"
    await env.settle()

    to_bo = [(i, a) for i, a in env.adapter.sent if a.conversation.id == personal_conv(BO) and a.attachments
             and "escalated this invoice to you" in card_text(card_of(a))]
    assert len(to_bo) == 1, "the approver got no proactive card"
    bo_id, bo_msg = to_bo[0]
    bo_card = card_of(bo_msg)
    assert_valid_card(bo_card)
    assert "Ana Clerk escalated this invoice to you: above my limit" in card_text(bo_card)
    assert {"approve", "reject", "edit"} <= verbs(bo_card)

    # a clerk clicking Approve on a copy of the approver's card is refused
    refused = await click(env, "approve", data_of(bo_card, "approve"), user=ANA)
    assert "Only an approver can decide an escalated invoice." in card_text(refused)

    done = await click(env, "approve", data_of(bo_card, "approve"), user=BO)
    assert "Approved by Bo Approver" in card_text(done)
    await env.settle()
    assert "Approved by Bo Approver" in card_text(current_card(env, reading_id))
    assert "Approved by Bo Approver" in card_text(current_card(env, bo_id))


async def test_edit_on_an_escalated_invoice_is_not_offered_to_a_clerk(env: Env) -> None:
    await say(env, "hi", user=BO)
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    await click(env, "escalate", {**data_of(card, "escalate"), "approver": BO.aad})
    out = await click(env, "edit", data_of(card, "edit"), user=ANA)  # her card from before the escalation
    assert "save" not in verbs(out) and "Waiting for Bo Approver" in card_text(out)


async def test_approver_may_edit_an_escalated_invoice(env: Env) -> None:
    await say(env, "hi", user=BO)
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    await click(env, "escalate", {**data_of(card, "escalate"), "approver": BO.aad})
    edit = await click(env, "edit", data_of(card, "edit"), user=BO)
    saved = await click(env, "save", {**data_of(edit, "save"), "field.PurchaseOrder": "PO-9"}, user=BO)
    assert "PO-9" in card_text(saved) and "Escalated to Bo Approver" in card_text(saved)


async def test_escalate_to_someone_the_bot_cannot_reach(env: Env) -> None:
    """Bo is an approver by configuration but never talked to the bot: the clerk is told, the invoice waits."""
    await env.service.actor(TENANT, BO.aad, BO.name)  # known (e.g. from the role map), no conversation
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    await click(env, "escalate", {**data_of(card, "escalate"), "approver": BO.aad})
    await env.settle()
    notes = [a for _, a in env.adapter.sent if a.attachments and "has not opened a chat with me yet"
             in card_text(card_of(a))]
    assert len(notes) == 1 and notes[0].conversation.id == personal_conv(ANA)
    assert_valid_card(card_of(notes[0]))


async def test_escalate_needs_an_approver(env: Env) -> None:
    await say(env, "hi", user=BO)
    await say(env, "hi", user=CY)
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    out = await click(env, "escalate", {**data_of(card, "escalate"), "approver": CY.aad})  # a manager
    assert "Pick an approver to escalate to." in card_text(out)


async def test_invoke_from_another_tenant_is_refused(env: Env) -> None:
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    data = data_of(card, "approve")
    out = await click(env, "approve", data, user=BO, tenant="tenant-other")
    assert "That did not work" in card_text(out) and "another organisation" in card_text(out)
    assert "Contoso" not in card_text(out), "nothing of the other tenant's invoice is shown"
    view = await env.service.view(TENANT, data["invoice_id"])
    assert view is not None and view["state"] == "needs_review"
    async with env.service.db.read() as s:
        refused = (await s.execute(select(AuditEvent).where(AuditEvent.tenant_id == "tenant-other",
                                                            AuditEvent.action == "refused_cross_tenant"))).scalars()
        assert len(list(refused)) == 1


@pytest.mark.parametrize("data,message", [
    ({}, "This card has no invoice on it."),
    ({"invoice_id": "no-such-id", "version": 1}, "does not exist"),
])
async def test_invokes_without_a_usable_invoice(env: Env, data: dict[str, Any], message: str) -> None:
    out = await click(env, "approve", data)
    assert message in card_text(out)


async def test_a_damaged_version_is_refused(env: Env) -> None:
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    out = await click(env, "approve", {**data_of(card, "approve"), "version": "v2"})
    assert "This card is damaged" in card_text(out)


async def test_refresh_shows_the_viewer_their_own_buttons(env: Env) -> None:
    """Universal Actions refresh: the same escalated card is re-fetched per viewer (clerk: none; approver: all)."""
    await say(env, "hi", user=BO)
    _, card = await drop(env, "a.pdf", pdf_bytes(env.tmp, "a"))
    await click(env, "escalate", {**data_of(card, "escalate"), "approver": BO.aad})
    ref = {"invoice_id": data_of(card, "approve")["invoice_id"], "version": 1}  # refresh ignores the version
    assert verbs(await click(env, "refresh", ref, user=ANA)) == set()
    assert {"approve", "reject", "edit"} <= verbs(await click(env, "refresh", ref, user=BO))


# ------------------------------------------------------------------------------------------ installs


async def test_bot_added_sends_help_and_stores_the_conversation(env: Env) -> None:
    before = len(env.adapter.sent)
    await env.adapter.receive_activity(activity(
        CY, type="conversationUpdate", members_added=[ChannelAccount(id=BOT["id"], name=BOT["name"])]))
    replies = env.adapter.sent[before:]
    assert len(replies) == 1
    card = card_of(replies[0][1])
    assert_valid_card(card)
    assert "What I can do" in card_text(card)
    async with env.service.db.read() as s:
        ref = await repo.personal_conversation(s, TENANT, CY.aad)
    assert ref is not None and ref["conversation"]["id"] == personal_conv(CY)


async def test_someone_else_added_gets_no_help_card(env: Env) -> None:
    before = len(env.adapter.sent)
    await env.adapter.receive_activity(activity(
        ANA, type="conversationUpdate", members_added=[ChannelAccount(id=BO.id, name=BO.name)],
        conversation_type="groupChat", conversation_id="19:group@thread.v2"))
    assert env.adapter.sent[before:] == []


async def test_installation_update_stores_the_conversation(env: Env) -> None:
    await env.adapter.receive_activity(activity(BO, type="installationUpdate", action="add"))
    assert env.adapter.sent == []
    async with env.service.db.read() as s:
        ref = await repo.personal_conversation(s, TENANT, BO.aad)
    assert ref is not None
