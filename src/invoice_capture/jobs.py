"""Background jobs through taskiq: in-process by default, Redis or RabbitMQ at scale.

Reading an invoice takes from 20 ms to many seconds, so ``/api/messages`` only stores the original and enqueues
its id; the reply card is replaced when the job ends. The broker comes from settings ``JOBS_BROKER``:

- ``memory`` - taskiq's InMemoryBroker: the job runs in this process's event loop (the embedded default).
- ``redis://...`` - a taskiq-redis list queue; ``amqp://...`` - a taskiq-aio-pika queue. This service consumes
  the queue itself (a taskiq ``Receiver`` in the event loop), so one process still does everything; more
  processes on the same queue share the work.

Jobs carry only an invoice id and are idempotent (the service does nothing for an invoice that is no longer
``received``/``extracting``), so a message delivered twice is harmless, and a restart re-enqueues unfinished
invoices from the database rather than trusting the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.receiver import Receiver

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[None]]
TASK_NAME = "invoice_capture.extract_invoice"


def make_broker(url: str, *, queue: str = "invoice-capture", concurrency: int = 4) -> AsyncBroker:
    if url in ("", "memory"):
        return InMemoryBroker(max_async_tasks=concurrency)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from taskiq_redis import ListQueueBroker

        return ListQueueBroker(url, queue_name=queue)
    if url.startswith(("amqp://", "amqps://")):
        from taskiq_aio_pika import AioPikaBroker
        from taskiq_aio_pika.exchange import Exchange
        from taskiq_aio_pika.queue import Queue

        return AioPikaBroker(url, exchange=Exchange(name=queue), task_queues=[Queue(name=queue)], qos=concurrency)
    raise ValueError(f"JOBS_BROKER must be 'memory', a redis:// or an amqp:// URL, not {url!r}")


class Jobs:
    """Enqueue invoice ids; run ``handler(invoice_id)`` for each, at most ``concurrency`` at a time."""

    def __init__(self, url: str = "memory", *, queue: str = "invoice-capture", concurrency: int = 4) -> None:
        self.url = url or "memory"
        self.broker = make_broker(self.url, queue=queue, concurrency=concurrency)
        self.concurrency = concurrency
        self._handler: Handler | None = None

        async def extract_invoice(invoice_id: str) -> None:
            await self._run(invoice_id)

        self._task = self.broker.register_task(extract_invoice, task_name=TASK_NAME)
        self._listener: asyncio.Task[None] | None = None
        self._finish = asyncio.Event()

    @property
    def in_process(self) -> bool:
        return isinstance(self.broker, InMemoryBroker)

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    async def _run(self, invoice_id: str) -> None:
        if self._handler is None:
            raise RuntimeError("no job handler set")
        try:
            await self._handler(invoice_id)
        except Exception:  # the handler records failures on the invoice; this is the last-resort log line
            log.exception("job for invoice %s failed", invoice_id)

    async def start(self) -> None:
        if not self.in_process:  # this process consumes the queue too (opens the read side at startup)
            self.broker.is_worker_process = True
        await self.broker.startup()
        if not self.in_process:
            receiver = Receiver(self.broker, run_startup=False, max_async_tasks=self.concurrency,
                                propagate_exceptions=False)
            self._listener = asyncio.create_task(receiver.listen(self._finish), name="jobs-receiver")

    async def idle(self) -> None:
        """Wait for in-process jobs to finish (external brokers: nothing to wait for here)."""
        if isinstance(self.broker, InMemoryBroker):
            await self.broker.wait_all()

    def busy(self) -> bool:
        return bool(getattr(self.broker, "_running_tasks", None))

    async def enqueue(self, invoice_id: str) -> None:
        await self._task.kiq(invoice_id)

    async def stop(self) -> None:
        self._finish.set()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await self.broker.shutdown()
