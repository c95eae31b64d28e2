"""A client-side rate limiter: at most N calls per window, per key (a tenant), for every window at once.

Azure answers calls over the tier's rate with 429 and a Retry-After; the SDK then waits and retries, but a burst
(a mailbox of 200 invoices arriving at once) would still spend its retries and fail documents. Waiting here,
before the call, keeps each tenant under the limits (default: S0's 15 per second and 360 per minute) and keeps
one tenant's burst from using up another's share. Sliding-window logs are exact and small at these rates.

The clock and sleep are injectable so that tests can check the waits without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence


class RateLimiter:
    def __init__(self, limits: Sequence[tuple[int, float]], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """``limits``: ``(calls, window_seconds)`` pairs, e.g. ``[(15, 1.0), (360, 60.0)]``."""
        self.limits = [(int(n), float(w)) for n, w in limits if n > 0 and w > 0]
        self._clock = clock
        self._sleep = sleep
        self._calls: dict[str, list[deque[float]]] = defaultdict(lambda: [deque() for _ in self.limits])

    def delay(self, key: str) -> float:
        """Seconds until a call for ``key`` would be within every limit (0: now)."""
        now = self._clock()
        wait = 0.0
        for (n, window), log in zip(self.limits, self._calls[key], strict=True):
            while log and log[0] <= now - window:
                log.popleft()
            if len(log) >= n:
                wait = max(wait, log[0] + window - now)
        return wait

    async def acquire(self, key: str) -> float:
        """Wait until a call for ``key`` is allowed and count it; returns the seconds waited.

        The check and the count happen without an await in between, so concurrent callers on one event loop never
        overbook a window."""
        waited = 0.0
        while (wait := self.delay(key)) > 0:
            await self._sleep(wait)
            waited += wait
        now = self._clock()
        for log in self._calls[key]:
            log.append(now)
        return waited
