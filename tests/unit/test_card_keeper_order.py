"""CardKeeper applies one invoice's changes in order and never puts an older card back over a newer one."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.proactive import CardKeeper
from invoice_capture.review.service import SYSTEM, Change


def change(version: int, verb: str) -> Change:
    return Change({"id": "inv-1", "version": version, "tenant_id": "t"}, verb, SYSTEM)


async def test_an_older_change_arriving_late_is_skipped_and_changes_run_one_at_a_time() -> None:
    keeper = CardKeeper(bot=None)  # type: ignore[arg-type]
    applied: list[tuple[int, str]] = []
    running = 0

    async def apply(c: Change) -> None:
        nonlocal running
        running += 1
        assert running == 1, "two changes of one invoice were applied at once"
        await asyncio.sleep(0)  # yield, as building a card does
        applied.append((c.invoice["version"], c.verb))
        running -= 1

    keeper._apply = apply  # type: ignore[method-assign]
    await asyncio.gather(keeper(change(3, "extracted")), keeper(change(2, "retry")), keeper(change(3, "remind")),
                         keeper(change(4, "approve")))
    assert applied == [(3, "extracted"), (3, "remind"), (4, "approve")]


async def test_reminders_are_not_skipped_by_version(monkeypatch: Any) -> None:
    keeper = CardKeeper(bot=None)  # type: ignore[arg-type]
    seen: list[str] = []

    async def apply(c: Change) -> None:
        seen.append(c.verb)

    keeper._apply = apply  # type: ignore[method-assign]
    await keeper(change(5, "escalate"))
    await keeper(change(4, "remind"))  # a reminder carries the row as read, possibly before a later save
    assert seen == ["escalate", "remind"]
