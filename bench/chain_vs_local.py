"""Accuracy of the local engine alone vs the chain, and the Azure calls the threshold saves, on the dev set.

Usage: python bench/chain_vs_local.py [--labels ../shared/data/invoices/labels.jsonl] [--thresholds 0.65 0.8 0.9]

Azure is the local fake of the Document Intelligence REST API (tests/fakes/azure_di.py) replaying recorded
responses through the real SDK. Only documents with a recorded response can be answered (today: the sample invoice
of the Azure samples); every other call gets a failed analysis from the fake and the chain keeps the local read,
so the accuracy gain is measured on the replayed documents only, while the call counts (what the threshold decides
from the local engine's confidences) are real for every document.

Each document is read once by the local engine (e-invoice data on, as in the service); each chain variant then
runs the real ChainExtractor over that read, with every Azure call made and counted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from invoice_capture.extraction.azure import AzureEngine, AzureOptions
from invoice_capture.extraction.chain import ChainExtractor, chain_config
from invoice_capture.extraction.engine import IsolatedExtractor
from invoice_capture.extraction.evaluate import Report, evaluate
from tests.fakes.azure_di import FakeDocumentIntelligence

DEFAULT_LABELS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "invoices" / "labels.jsonl"


class FakeInThread:
    """The fake DI server on its own event loop, so the measured code can run its own loops."""

    def __init__(self) -> None:
        self.fake = FakeDocumentIntelligence(running_polls=1, retry_after=0)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.endpoint = asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(30)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


class Cached:
    """The local engine's read of each file, made once and lent to every chain variant."""

    def __init__(self, reads: dict[str, dict[str, Any]]) -> None:
        self.reads = reads

    async def extract(self, path: Path, name: str) -> dict[str, Any]:
        return json.loads(json.dumps(self.reads[str(path)]))


class Counting:
    def __init__(self, azure: AzureEngine) -> None:
        self.azure = azure
        self.calls = 0

    async def analyze(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        return await self.azure.analyze(*args, **kwargs)


def row(name: str, rep: Report, calls: int, always: int, replayed: Report, fields: int) -> str:
    right = sum(t.right for t in replayed.key_by_modality.values())
    total = sum(t.total for t in replayed.key_by_modality.values())
    return (f"| {name} | {calls} | {always - calls} | {rep.key_accuracy():.3f} | {right}/{total} | {fields} | "
            f"{rep.high.right}/{rep.high.total} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    ap.add_argument("--thresholds", type=float, nargs="*", default=[0.65, 0.8, 0.9])
    args = ap.parse_args()
    labels = args.labels
    base = labels.parent
    files = [str(base / json.loads(ln)["file"]) for ln in labels.read_text().splitlines() if ln.strip()]
    with IsolatedExtractor(timeout_s=120) as ex:
        reads = {f: ex.extract(f) for f in files}
    server = FakeInThread()
    replayed_names = {p.name for p in base.rglob("*") if p.is_file()
                      and hashlib.sha256(p.read_bytes()).hexdigest() in server.fake.replays}
    replayed = [json.loads(ln)["file"] for ln in labels.read_text().splitlines()
                if ln.strip() and Path(json.loads(ln)["file"]).name in replayed_names]
    try:
        azure = AzureEngine(AzureOptions(endpoint=server.endpoint, key=server.fake.key))
        variants: list[tuple[str, list[str] | None]] = [("local alone (einvoice -> local)", None)]
        variants += [(f"chain, Azure if any key field < {t}", ["einvoice", "local", f"azure if any key field < {t}"])
                     for t in args.thresholds]
        variants.append(("chain, Azure always", ["einvoice", "local", "azure"]))
        results = []
        for name, steps in variants:
            outputs: dict[str, dict[str, Any]] = {}
            counter = Counting(azure)
            cfg = chain_config({"chain": steps or ["einvoice", "local"]})
            chain = ChainExtractor(Cached(reads), counter, config_for=lambda _t, c=cfg: c)

            def run(p: str, chain: ChainExtractor = chain, outputs: dict = outputs) -> dict[str, Any]:
                outputs[p] = asyncio.run(chain.extract(Path(p), p, tenant_id="bench"))
                return outputs[p]
            rep = evaluate(labels, run)
            fields = sum(len(outputs[str(base / f)].get("fields") or {}) for f in replayed)
            results.append((name, rep, counter.calls, evaluate(labels, lambda p, o=outputs: o[p], only=replayed),
                            fields))
        always = results[-1][2]
        lines = ["| variant | Azure calls | calls saved (vs always) | key-field accuracy, all docs | key fields right, "
                 "replayed docs | fields returned, replayed docs | confidence >= 0.9 right |",
                 "|---|---|---|---|---|---|---|"]
        lines += [row(name, rep, calls, always, rr, fields) for name, rep, calls, rr, fields in results]
        sys.stdout.write(f"documents: {len(files)}; with a recorded Azure response: {', '.join(replayed)}\n\n")
        sys.stdout.write("\n".join(lines) + "\n")
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
