"""Drop-to-card latency and card-action speed of the whole service on its embedded default.

Usage: python bench/bot_latency.py [--labels ../shared/data/invoices/labels.jsonl] [--actions 300]

Starts the real service (app.build_app: SQLite file, local originals, in-process jobs, one extraction worker) on
a real port, with a local fake Bot Connector standing in for Teams (tests/fakes/connector.py), and:
1. posts a Teams file message for every dev-set file, one at a time, and times from the POST to the moment the
   connector receives the review card that replaces the "Reading…" card (p50/p95 per modality);
2. fires card actions (Action.Execute invokes: refresh, then edit/approve on fresh invoices) from 4 concurrent
   clients and reports actions per second and the p50/p95 response time.
Targets (issue 3): a one-page digital PDF is a card within 1.5 s of the message; a card action answers in under
200 ms at p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from app import build_app  # noqa: E402
from invoice_capture.config import Settings  # noqa: E402
from invoice_capture.extraction.evaluate import modality_group  # noqa: E402
from tests.cardschema import data_of, verbs  # noqa: E402
from tests.fakes.activities import card_action, file_message  # noqa: E402
from tests.fakes.connector import FakeConnector, card_of, card_text  # noqa: E402
from tests.fakes.files import FileServer  # noqa: E402

DEFAULT_LABELS = ROOT.parent / "shared" / "data" / "invoices" / "labels.jsonl"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]



async def run(labels: Path, n_actions: int) -> None:
    rows = [json.loads(line) for line in labels.read_text().splitlines() if line.strip()]
    base = labels.parent
    files = {Path(r["file"]).name + f"-{i}": base / r["file"] for i, r in enumerate(rows)}
    groups = {Path(r["file"]).name + f"-{i}": modality_group(r.get("modality", "")) for i, r in enumerate(rows)}
    file_server = await FileServer().start()
    urls = {name: file_server.add(name, path.read_bytes()) for name, path in files.items()}
    connector = await FakeConnector().start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, DATA_DIR=Path(tmp), MicrosoftAppId="", JOBS_BROKER="memory")
        client = TestClient(TestServer(build_app(settings), host="127.0.0.1"))
        await client.start_server()
        try:
            latencies: dict[str, list[float]] = defaultdict(list)
            invoices: list[dict] = []
            for name, path in files.items():
                before = len(connector.sent)
                t0 = time.perf_counter()
                act = file_message(connector.url, path.name, urls[name])
                await client.post("/api/messages", json=act)
                sent = await connector.wait_for(lambda c, b=before: c.sent[b:] or None)
                aid = sent[0]["id"]

                def done(c: FakeConnector, aid: str = aid) -> dict | None:
                    cur = c.current[aid]
                    txt = card_text(card_of(cur))
                    return cur if "Reading" not in txt else None

                final = await connector.wait_for(done, timeout=180)
                latencies[groups[name]].append(final["_t"] - t0)
                if "approve" in verbs(card_of(final) or {}):
                    invoices.append(data_of(card_of(final), "approve"))
            print(f"drop-to-card latency over {len(files)} files (one at a time, warm worker):")
            for group, vals in sorted(latencies.items()):
                print(f"  {group:12s} n={len(vals):3d}  p50 {statistics.median(vals):6.3f} s  "
                      f"p95 {pct(vals, .95):6.3f} s  max {max(vals):6.3f} s")

            # card actions: refresh (read) on every invoice, then approve each once, 4 clients at a time
            queue: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
            for i in range(n_actions):
                queue.put_nowait(("refresh", invoices[i % len(invoices)]))
            for data in invoices:
                queue.put_nowait(("approve", data))
            times: dict[str, list[float]] = defaultdict(list)

            async def worker() -> None:
                while not queue.empty():
                    verb, data = queue.get_nowait()
                    t = time.perf_counter()
                    resp = await client.post("/api/messages", json=card_action(connector.url, verb, data))
                    await resp.read()
                    times[verb].append(time.perf_counter() - t)

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(4)))
            wall = time.perf_counter() - t0
            total = sum(len(v) for v in times.values())
            print(f"card actions: {total} in {wall:.2f} s = {total / wall:.0f} actions/s (4 concurrent clients)")
            for verb, vals in sorted(times.items()):
                print(f"  {verb:8s} n={len(vals):4d}  p50 {statistics.median(vals) * 1000:6.1f} ms  "
                      f"p95 {pct(vals, .95) * 1000:6.1f} ms")
        finally:
            await client.close()
            await connector.close()
            await file_server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--actions", type=int, default=300)
    args = ap.parse_args()
    asyncio.run(run(args.labels, args.actions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
