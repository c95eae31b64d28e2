"""Proves the end-to-end harness on its own: a tiny in-process bot, the real playground, headless Chromium.

If these fail, the harness or the machine is broken, not the invoice bot. The bot is the smallest thing that uses
what the real one uses: text, a Teams file message it downloads, a card replaced with update_activity, an
Action.Execute invoke answered with a card (the botbuilder 4.17.1 way from DESIGN.md "Known traps").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from botbuilder.core import ActivityHandler, CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, AdaptiveCardInvokeResponse, Attachment, ConversationReference
from playwright.async_api import expect

from tests.e2e.conftest import OpenChat, StartPlayground
from tests.e2e.playground import FILE_DOWNLOAD_INFO, TeamsContext, pdf_bytes
from tests.fakes.files import FileServer

pytestmark = pytest.mark.e2e

CARD = "application/vnd.microsoft.card.adaptive"


def card(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": list(body), "actions": actions or []}


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **extra}


def form_card() -> dict[str, Any]:
    """One input of each kind the invoice card uses, a ShowCard with its own Execute button, and a `refresh`."""
    choices = [{"title": "Office supplies", "value": "6000"}, {"title": "Travel", "value": "6100"}]
    ana = TeamsContext.load().user("Ana Clerk")
    refresh = {
        "action": {"type": "Action.Execute", "verb": "refresh", "data": {"invoice": "INV-7"}},
        "userIds": [ana.id, ana.aad_object_id],
    }
    return {"refresh": refresh, **card(
        text("Edit invoice INV-7"),
        {"type": "Input.Text", "id": "vendor", "label": "Vendor", "isRequired": True, "errorMessage": "Needed"},
        {"type": "Input.Number", "id": "total", "label": "Total"},
        {"type": "Input.Date", "id": "due", "label": "Due date"},
        {"type": "Input.Time", "id": "at", "label": "Time"},
        {"type": "Input.ChoiceSet", "id": "gl", "label": "GL account", "choices": choices},
        {"type": "Input.ChoiceSet", "id": "tags", "label": "Tags", "isMultiSelect": True, "choices": choices},
        {"type": "Input.ChoiceSet", "id": "cur", "label": "Currency", "style": "expanded", "choices": [
            {"title": "EUR", "value": "EUR"}, {"title": "USD", "value": "USD"}]},
        {"type": "Input.Toggle", "id": "urgent", "title": "Urgent", "label": "Priority",
         "valueOn": "y", "valueOff": "n"},
        actions=[
            {"type": "Action.Execute", "title": "Save", "verb": "save", "data": {"invoice": "INV-7"}},
            {"type": "Action.ShowCard", "title": "Reject…", "card": card(
                {"type": "Input.Text", "id": "reason", "label": "Reason"},
                actions=[{"type": "Action.Execute", "title": "Confirm reject", "verb": "reject",
                          "data": {"invoice": "INV-7"}}],
            )},
        ],
    )}  # fmt: skip


class TinyBot(ActivityHandler):
    """Echo text; read a dropped file into a review card; answer Execute invokes with a result card."""

    def __init__(self, adapter: CloudAdapter) -> None:
        self.adapter = adapter
        self.activities: list[Activity] = []
        self.downloads: dict[str, int] = {}
        self.card_ids: dict[str, str] = {}
        self.jobs: set[asyncio.Task[None]] = set()

    async def on_turn(self, turn_context: TurnContext) -> None:
        self.activities.append(turn_context.activity)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        files = [a for a in activity.attachments or [] if a.content_type == FILE_DOWNLOAD_INFO]
        if files:
            await self._read(turn_context, files[0])
        elif (activity.text or "").strip() == "form":
            await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(form_card())))
        else:
            said = TurnContext.remove_recipient_mention(activity) or activity.text or ""
            await turn_context.send_activity(f"echo: {said.strip()} ({activity.conversation.conversation_type})")

    async def _read(self, turn_context: TurnContext, attachment: Attachment) -> None:
        """Post "Reading…" and end the turn; a background job downloads and replaces the card, like the real bot."""
        reading = card(text(f"Reading {attachment.name}…"))
        sent = await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(reading)))
        self.card_ids[attachment.name] = sent.id
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        job = asyncio.create_task(self._download_and_update(reference, sent.id, attachment))
        self.jobs.add(job)
        job.add_done_callback(self.jobs.discard)

    async def _download_and_update(
        self, reference: ConversationReference, card_id: str, attachment: Attachment
    ) -> None:
        name = attachment.name
        async with aiohttp.ClientSession() as session, session.get(attachment.content["downloadUrl"]) as response:
            response.raise_for_status()
            size = len(await response.read())
        self.downloads[name] = size
        review = card(
            text(f"{name}: {size} bytes", weight="Bolder"),
            {"type": "Input.Text", "id": "note", "label": "Note"},
            actions=[{"type": "Action.Execute", "title": "Approve", "verb": "approve", "data": {"file": name}}],
        )
        update = MessageFactory.attachment(CardFactory.adaptive_card(review))
        update.id = card_id

        async def replace(turn_context: TurnContext) -> None:
            await turn_context.update_activity(update)

        await self.adapter.continue_conversation(reference, replace, bot_app_id="")

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return InvokeResponse(status=501)
        action = activity.value["action"]  # a plain dict
        data = action.get("data") or {}
        if action.get("verb") == "approve":
            result = card(text(f"Approved by {activity.from_property.name}"), text(f"Note: {data.get('note', '')}"))
        else:
            fields = ", ".join(f"{key}={data[key]}" for key in sorted(data))
            result = card(text(f"{action.get('verb')} by {activity.from_property.name}"), text(fields))
        body = AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=result)
        return InvokeResponse(status=200, body=body)


@dataclass
class RunningBot:
    bot: TinyBot
    endpoint: str
    errors: list[BaseException]
    raw: list[dict[str, Any]]  # request bodies as sent (botbuilder's models drop unknown entity fields)

    def received(self, type_: str, name: str | None = None) -> list[Activity]:
        return [a for a in self.bot.activities if a.type == type_ and (name is None or a.name == name)]


class _NoAuth:
    """Empty app id: the playground sends no token and the adapter asks for none."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


@pytest.fixture
async def tiny_bot() -> AsyncIterator[RunningBot]:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_NoAuth()))
    bot = TinyBot(adapter)
    errors: list[BaseException] = []
    raw: list[dict[str, Any]] = []

    async def on_error(turn_context: TurnContext, error: Exception) -> None:
        errors.append(error)

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.Response:
        raw.append(await request.json())
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield RunningBot(bot, f"http://127.0.0.1:{port}/api/messages", errors, raw)
    finally:
        for job in list(bot.jobs):
            job.cancel()
        await runner.cleanup()


async def test_text_file_message_and_execute(
    tiny_bot: RunningBot,
    start_playground: StartPlayground,
    open_chat: OpenChat,
    file_server: FileServer,
    e2e_artifacts: Path,
) -> None:
    """Text echoes; a file message becomes a card that is replaced in place; Execute replaces it with the answer."""
    playground = await start_playground(tiny_bot.endpoint)
    chat = await open_chat(playground)
    ana = TeamsContext.load().user("Ana Clerk")

    await chat.send_text("hello bot")
    await chat.wait_for_message("echo: hello bot (personal)")
    await chat.screenshot(e2e_artifacts / "01-echo.png")

    pdf = pdf_bytes()
    url = file_server.add("INV 100.pdf", pdf, gate=True)  # held until released: the "Reading" card stays put
    sent = await chat.send_file_message("INV 100.pdf", url)
    reading = await chat.wait_for_card("Reading INV 100.pdf")
    await chat.screenshot(e2e_artifacts / "02-reading.png")
    await chat.screenshot(e2e_artifacts / "02-reading-card.png", reading)
    file_server.release("INV 100.pdf")
    review = await chat.wait_for_card(f"INV 100.pdf: {len(pdf)} bytes")
    await expect(chat.cards("Reading")).to_have_count(0)  # updated in place, not a second message
    await expect(chat.cards()).to_have_count(1)
    await chat.screenshot(e2e_artifacts / "03-review.png")

    await chat.fill_input(review, "Note", "Matches PO 4711")
    await chat.screenshot(e2e_artifacts / "04-filled.png", review)
    await chat.click_action(review, "Approve")
    approved = await chat.wait_for_card("Approved by Ana Clerk")
    assert "Note: Matches PO 4711" in await chat.card_text(approved)
    await expect(chat.cards()).to_have_count(1)  # the invoke response replaced the clicked card
    await chat.screenshot(e2e_artifacts / "05-approved.png")

    assert file_server.requests == ["INV 100.pdf"]
    assert tiny_bot.bot.downloads == {"INV 100.pdf": len(pdf)}
    message = next(a for a in tiny_bot.received("message") if a.attachments)
    assert message.attachments[0].content["downloadUrl"] == sent["attachments"][0]["content"]["downloadUrl"]
    [invoke] = tiny_bot.received("invoke", "adaptiveCard/action")
    assert invoke.from_property.aad_object_id == ana.aad_object_id
    assert invoke.from_property.name == "Ana Clerk"
    assert invoke.channel_data["tenant"]["id"] == playground.teams.tenant_id
    assert invoke.conversation.id == playground.teams.personal_chat_id
    assert invoke.reply_to_id == tiny_bot.bot.card_ids["INV 100.pdf"]  # the clicked card's activity id
    assert invoke.value["action"]["verb"] == "approve"
    assert invoke.value["action"]["data"] == {"file": "INV 100.pdf", "note": "Matches PO 4711"}
    assert not tiny_bot.errors


async def test_card_inputs_and_show_card(
    tiny_bot: RunningBot, start_playground: StartPlayground, open_chat: OpenChat, e2e_artifacts: Path
) -> None:
    """fill_input handles every input kind; an Execute inside a ShowCard also sends (and validates) the parent's."""
    playground = await start_playground(tiny_bot.endpoint)
    chat = await open_chat(playground)
    await chat.send_text("form")
    form = await chat.wait_for_card("Edit invoice INV-7")
    # Universal Actions refresh is not honoured: a warning, and (asserted below) no "refresh" invoke
    await chat.wait_for_log("User specific view is not supported yet")

    await chat.fill_input(form, "Vendor", "Contoso Ltd")
    await chat.fill_input(form, "Total", 1234.5)
    await chat.fill_input(form, "Due date", "2026-03-31")
    await chat.fill_input(form, "Time", "14:30")
    await chat.fill_input(form, "GL account", "Travel")
    await chat.fill_input(form, "Tags", ["Office supplies", "Travel"])
    await chat.fill_input(form, "Currency", "USD")
    await chat.fill_input(form, "Priority", True)
    await chat.screenshot(e2e_artifacts / "01-form.png", form)
    await chat.click_action(form, "Save")
    await chat.wait_for_card("save by Ana Clerk")
    [save] = tiny_bot.received("invoke", "adaptiveCard/action")
    assert save.value["action"]["data"] == {
        "invoice": "INV-7",
        "vendor": "Contoso Ltd",
        "total": "1234.5",  # every value arrives as a string
        "due": "2026-03-31",
        "at": "14:30",
        "gl": "6100",
        "tags": "6000,6100",
        "cur": "USD",
        "urgent": "y",
    }

    await chat.send_text("form")
    await expect(chat.cards("Edit invoice INV-7")).to_have_count(1)
    form = await chat.wait_for_card("Edit invoice INV-7")
    await chat.click_action(form, "Reject…")
    await chat.fill_input(form, "Reason", "Duplicate of INV-6")
    await chat.click_action(form, "Confirm reject")
    await expect(form.get_by_text("Needed")).to_be_visible()  # the parent's required Vendor blocks the invoke
    await chat.screenshot(e2e_artifacts / "02-show-card-blocked.png", form)
    await chat.fill_input(form, "Vendor", "Contoso Ltd")
    await chat.click_action(form, "Confirm reject")
    await chat.wait_for_card("reject by Ana Clerk")
    reject = tiny_bot.received("invoke", "adaptiveCard/action")[-1]
    # the unchecked toggle sends "false", not its valueOff
    assert reject.value["action"]["data"] == {
        "invoice": "INV-7",
        "vendor": "Contoso Ltd",
        "reason": "Duplicate of INV-6",
        "urgent": "false",
    }
    await chat.screenshot(e2e_artifacts / "03-rejected.png")
    assert not tiny_bot.errors


async def test_other_user_and_group_chat(
    tiny_bot: RunningBot, start_playground: StartPlayground, open_chat: OpenChat, e2e_artifacts: Path
) -> None:
    """Acting as Bo Approver needs a playground whose currentUser is Bo; group chats need an @mention."""
    playground = await start_playground(tiny_bot.endpoint, current_user="Bo Approver")
    chat = await open_chat(playground)
    await chat.send_text("hi from Bo")
    await chat.wait_for_message("echo: hi from Bo (personal)")

    await chat.open_chat("AP Team")
    await chat.send_text("status", mention_bot=True)
    await chat.wait_for_message("echo: status (groupChat)")
    await chat.screenshot(e2e_artifacts / "01-group-chat.png")

    bo = TeamsContext.load().user("Bo Approver")
    messages = tiny_bot.received("message")
    assert [m.from_property.aad_object_id for m in messages] == [bo.aad_object_id] * 2
    assert messages[0].conversation.id == "a:personal-chat-bo-approver"
    group = [body for body in tiny_bot.raw if body["type"] == "message"][1]
    assert group["conversation"]["conversationType"] == "groupChat"
    assert group["conversation"]["id"] == playground.teams.group_chat["id"]
    assert group["text"] == "<at>Invoice Capture</at> status"
    mention = {"type": "mention", "mentioned": playground.teams.bot, "text": "<at>Invoice Capture</at>"}
    assert mention in group["entities"]
    assert group["channelData"]["tenant"]["id"] == playground.teams.tenant_id
    assert not tiny_bot.errors
