"""End to end, as a clerk sees it: the real service (app.py, embedded default) behind the Microsoft 365 Agents
Playground in headless Chromium. A dev-set invoice is dropped into the chat, its card shows the right values, the
clerk edits a field, saves, approves, and the card and the audit trail say so. Screenshots of each card are saved
in the test's output folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from app import SERVICE, build_app
from invoice_capture.config import Settings
from tests.conftest import DEV_SET
from tests.e2e.conftest import OpenChat, StartPlayground
from tests.fakes.files import FileServer

pytestmark = pytest.mark.e2e

SAMPLE = DEV_SET / "azure_samples" / "sample-invoice.pdf"


@pytest.fixture
async def service(tmp_path: Path, extractor: Any) -> AsyncIterator[TestServer]:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path / "data", MicrosoftAppId="", JOBS_BROKER="memory",
                        ROLES="Bo Approver=approver,Cy Manager=manager")
    server = TestServer(build_app(settings, extractor=extractor), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_drop_edit_save_approve(service: TestServer, start_playground: StartPlayground, open_chat: OpenChat,
                                      file_server: FileServer, e2e_artifacts: Path) -> None:
    playground = await start_playground(str(service.make_url("/api/messages")))
    chat = await open_chat(playground)

    await chat.send_text("help")
    help_card = await chat.wait_for_card("pending")
    await chat.screenshot(e2e_artifacts / "0-help.png", help_card)

    url = file_server.add("sample-invoice.pdf", SAMPLE.read_bytes())
    await chat.send_file_message("sample-invoice.pdf", url)
    card = await chat.wait_for_card("Needs review", timeout=60_000)
    shown = await chat.card_text(card)
    await chat.screenshot(e2e_artifacts / "1-review.png", card)
    assert "CONTOSO" in shown.upper()
    assert "INV-100" in shown
    assert "110.00" in shown
    assert "sample-invoice.pdf" in shown

    await chat.click_action(card, "Edit")
    edit = await chat.wait_for_card("Save")
    await chat.screenshot(e2e_artifacts / "2-edit.png", edit)
    await chat.fill_input(edit, "PO number (check this)", "PO-4242")  # the label carries the confidence
    await chat.click_action(edit, "Save")
    saved = await chat.wait_for_card("PO-4242")
    await chat.screenshot(e2e_artifacts / "3-saved.png", saved)

    await chat.click_action(saved, "Approve")
    approved = await chat.wait_for_card("Approved by Ana Clerk")
    await chat.screenshot(e2e_artifacts / "4-approved.png", approved)
    final = await chat.card_text(approved)
    assert "PO-4242" in final

    db = service.app[SERVICE].db
    async with db.read() as s:
        rows = (await s.execute(text("SELECT action, actor_name, actor_id FROM audit_events ORDER BY seq"))).all()
    actions = [(a, n) for a, n, _ in rows]
    assert ("edited", "Ana Clerk") in actions and ("approved", "Ana Clerk") in actions
    assert all(actor_id.startswith("00000000-") for a, _, actor_id in rows if a in ("edited", "approved")), \
        "the actor is the Teams user's Entra object id"
    assert len(list(e2e_artifacts.glob("*.png"))) >= 5
