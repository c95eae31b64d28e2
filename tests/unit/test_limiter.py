"""The client-side rate limiter: every window holds, per key, and waits are computed rather than spent."""

from __future__ import annotations

from invoice_capture.extraction.limiter import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


async def test_s0_limits_15_per_second_and_360_per_minute() -> None:
    clock = Clock()
    lim = RateLimiter([(15, 1.0), (360, 60.0)], clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(400):
        await lim.acquire("tenant")
        starts.append(clock.now)
    for i in range(len(starts) - 15):
        assert starts[i + 15] - starts[i] >= 1.0 - 1e-9  # never 16 in a second
    for i in range(len(starts) - 360):
        assert starts[i + 360] - starts[i] >= 60.0 - 1e-9  # never 361 in a minute
    assert starts[359] < 24.0 and starts[360] >= 60.0  # the minute budget, not the second one, made call 361 wait


async def test_keys_are_independent() -> None:
    clock = Clock()
    lim = RateLimiter([(2, 10.0)], clock=clock, sleep=clock.sleep)
    for _ in range(2):
        assert await lim.acquire("a") == 0.0
    assert await lim.acquire("b") == 0.0
    assert lim.delay("a") == 10.0
    assert await lim.acquire("a") == 10.0
    assert clock.slept == [10.0]
