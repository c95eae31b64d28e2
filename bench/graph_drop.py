"""SharePoint folder drop to card: how fast files dropped into a watched folder become cards in the channel.

Usage: python bench/graph_drop.py [--labels ../shared/data/invoices/labels.jsonl] [--burst 50]

Starts the real service (app.build_app: SQLite, local originals, in-process jobs, one real extraction worker) on a
real port, a local fake Microsoft Graph (tests/fakes/graph.py, reached through the real msgraph-sdk) and a fake
Bot Connector, adds a SharePoint folder source, and:
1. drops the dev set's digital PDFs one at a time, each followed by Graph's change notification, and times from the
   notification to the card posted in the source's channel (p50/p95), and the webhook's answer time;
2. drops ``--burst`` files at once (one notification per file, as Graph sends them) and reports how long until
   every card is posted, and that there are exactly that many invoices and cards.
The fake Graph answers in microseconds, so this measures our side: webhook, delta, download, extraction, card.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from app import GRAPH, SERVICE, build_app  # noqa: E402
from invoice_capture.config import Settings  # noqa: E402
from invoice_capture.ingest.graph.client import GraphClient  # noqa: E402
from invoice_capture.store import sources as store  # noqa: E402
from tests.fakes.connector import FakeConnector, card_of  # noqa: E402
from tests.fakes.graph import FakeGraph  # noqa: E402
from tests.integration.test_graph_sources import FakeCredential  # noqa: E402

DEFAULT_LABELS = ROOT.parent / "shared" / "data" / "invoices" / "labels.jsonl"
CHANNEL = "19:bench@thread.tacv2"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(labels: Path, burst: int) -> None:
    rows = [json.loads(line) for line in labels.read_text().splitlines() if line.strip()]
    pdfs = [labels.parent / r["file"] for r in rows if str(r["file"]).lower().endswith(".pdf")]
    pdfs = [p for p in pdfs if p.is_file() and b"/Subtype /Image" not in p.read_bytes()[:200_000]]
    graph = await FakeGraph().start()
    connector = await FakeConnector().start()
    drive = graph.add_drive()
    graph.put_file(drive, "/Invoices/.keep", b"x", mime="text/plain")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, DATA_DIR=Path(tmp), DATABASE_URL="", MicrosoftAppId="",
                            JOBS_BROKER="memory", GRAPH_PUBLIC_URL=f"http://127.0.0.1:{port}",
                            GRAPH_RENEW_INTERVAL=3600)
        app = build_app(settings, graph_clients=lambda _t: GraphClient(FakeCredential(), graph.base_url))
        client = TestClient(TestServer(app, host="127.0.0.1", port=port))
        await client.start_server()
        service, watch = app[SERVICE], app[GRAPH]
        await service.remember_conversation("local", CHANNEL, {
            "serviceUrl": connector.url, "channelId": "msteams", "conversation": {"id": CHANNEL},
            "bot": {"id": "bot"}}, conversation_type="channel", user_external_id="")
        async with service.db.write() as s:
            src = await store.add_source(s, "local", kind="drive", target=CHANNEL, drive_id=drive, folder="/Invoices")
            source_id = src.id
        await watch.ensure(source_id)

        def cards() -> int:
            return sum(1 for a in connector.sent if a["_conversation"] == CHANNEL and card_of(a) is not None)

        # 1. one file at a time
        latencies, answers = [], []
        for n, path in enumerate(pdfs):
            before = cards()
            graph.put_file(drive, f"/Invoices/{n:03d}-{path.name}", path.read_bytes())
            t0 = time.perf_counter()
            await graph.notify_drive(drive)
            answers.append(graph.deliveries[-1].seconds)
            await connector.wait_for(lambda c, b=before: cards() > b, timeout=120)
            latencies.append(time.perf_counter() - t0)
        print(f"single drops: {len(latencies)} digital PDFs; notification -> card p50 {pct(latencies, .5):.3f} s, "
              f"p95 {pct(latencies, .95):.3f} s, max {max(latencies):.3f} s")
        print(f"webhook answer: p50 {pct(answers, .5) * 1000:.1f} ms, p95 {pct(answers, .95) * 1000:.1f} ms "
              "(Graph's limit: 3 s)")

        # 2. a burst
        before, invoices_before = cards(), len(latencies)
        graph.auto_notify = True
        t0 = time.perf_counter()
        for n in range(burst):
            path = pdfs[n % len(pdfs)]
            data = path.read_bytes() + f"\n% burst copy {n}\n".encode()  # distinct bytes, same content
            graph.put_file(drive, f"/Invoices/burst-{n:03d}.pdf", data)
        await graph.drain()
        await connector.wait_for(lambda c: cards() >= before + burst, timeout=600)
        elapsed = time.perf_counter() - t0
        await watch.idle()
        await app[SERVICE].idle()
        rows_now = (await (await client.get("/api/invoices?limit=200")).json())["invoices"]
        notes = sum(1 for d in graph.deliveries if d.kind == "notification")
        print(f"burst: {burst} files, {notes} notifications in all; every card posted after {elapsed:.1f} s "
              f"({burst / elapsed:.1f} files/s); invoices {len(rows_now) - invoices_before} new, cards "
              f"{cards() - before} new")
        await client.close()
    await connector.close()
    await graph.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--burst", type=int, default=50)
    args = ap.parse_args()
    asyncio.run(run(args.labels, args.burst))


if __name__ == "__main__":
    main()
