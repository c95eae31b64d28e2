"""Extraction for an asyncio service: a few isolated worker processes, borrowed one file at a time.

PDFium is not thread-safe and OCR is CPU-bound, so files are never read in the event loop's process: each
worker is an ``IsolatedExtractor`` (own process, deadline, memory ceiling), and the pool lends a free one to
each job from a thread. The number of workers is the number of files read at once (``EXTRACT_WORKERS``). The
pool holds no event-loop objects, so one pool can serve several loops (the tests use that).
"""

from __future__ import annotations

import asyncio
import queue
from pathlib import Path
from typing import Any

from invoice_capture.extraction.engine import IsolatedExtractor


class ExtractorPool:
    def __init__(self, workers: int = 1, *, timeout_s: float = 120.0) -> None:
        self._all = [IsolatedExtractor(timeout_s=timeout_s, start_method="forkserver") for _ in range(max(1, workers))]
        self._free: queue.Queue[IsolatedExtractor] = queue.Queue()
        for ex in self._all:
            self._free.put_nowait(ex)

    def _extract(self, path: str, name: str) -> dict[str, Any]:
        ex = self._free.get()
        try:
            return ex.extract(path, name=name)
        finally:
            self._free.put_nowait(ex)

    async def extract(self, path: Path, name: str, *, tenant_id: str = "") -> dict[str, Any]:
        """The extraction contract's JSON for one file (a result or ``{"file", "error"}``); the local engine
        reads every tenant's files alike (``tenant_id`` is for the chain's interface)."""
        return await asyncio.to_thread(self._extract, str(path), name)

    def warm_up(self) -> None:
        """Start the worker processes now, so the first invoice does not wait for them."""
        for ex in self._all:
            ex.start()

    def close(self) -> None:
        for ex in self._all:
            ex.close()
