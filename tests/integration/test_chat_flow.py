"""A file dropped into a 1:1 chat becomes a card that is replaced in place; decisions update it for everyone."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.fakes.activities import ANA, BO, file_message, text_message
from tests.fakes.connector import FakeConnector, card_of, card_text

DEV = Path(__file__).resolve().parents[3] / "shared" / "data" / "invoices"


async def serve_files(files: dict[str, bytes]) -> TestServer:
    async def get(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in files:
            return web.Response(status=404)
        return web.Response(body=files[name])

    app = web.Application()
    app.router.add_get("/files/{name}", get)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_file_becomes_review_card(service_client, connector: FakeConnector, tmp_path: Path) -> None:
    pdf = (DEV / "azure_samples" / "sample-invoice.pdf").read_bytes()
    files = await serve_files({"sample-invoice.pdf": pdf})
    try:
        await service_client.post("/api/messages", json=text_message(connector.url, "hi", user=BO))
        resp = await service_client.post("/api/messages", json=file_message(
            connector.url, "sample-invoice.pdf", str(files.make_url("/files/sample-invoice.pdf"))))
        assert resp.status in (200, 201)
        reading = await connector.wait_for(lambda c: [a for a in c.sent if "Reading" in card_text(card_of(a))])
        aid = reading[0]["id"]
        updated = await connector.wait_for(
            lambda c: [u for u in c.updates if u["_activity_id"] == aid and "Approve" in card_text(card_of(u))],
            timeout=60)
        text = card_text(card_of(updated[-1]))
        assert "CONTOSO" in text.upper()
        assert "110" in text
    finally:
        await files.close()
    print(ANA)
