"""Walk each tenant's audit chain and say whether it is whole, and if not, where and how it first breaks.

Why a walk and not a query: every link depends on the one before it (``prev_hash`` is the previous event's hash,
``hash`` covers the event's canonical JSON including that ``prev_hash``), so the only proof that nothing was
edited, deleted, inserted or reordered is to recompute the chain from seq 1 in order. Rows are streamed in batches,
so a chain of millions of events is checked in constant memory.

What each kind of break means (``BrokenLink.kind``):

- ``edited``: the event's stored hash is not the hash of its content: a column was changed after it was written.
- ``deleted``: the seq numbers jump (a gap): events in between were removed.
- ``inserted``: the event links back past its predecessor to an earlier event, so the event(s) between them are
  not part of the original chain (someone made room by renumbering and slipped one in), or a seq below 1 exists.
- ``reordered``: the event links to the event that comes *after* it: two events swapped places.
- ``relinked``: the event's ``prev_hash`` matches no event before it: the previous event was replaced by a forgery
  whose hash was recomputed to look valid, or events were deleted and the later ones renumbered and re-hashed.
- ``unreadable``: a row could not even be decoded (a column holds something the schema does not allow).

The first break is what matters: every link after it is suspect, so the walk stops there. What a hash chain alone
cannot show is the removal of the *newest* events (the remaining chain is still consistent): record the last hash
that ``verify`` prints (the OSCAL export carries it too) somewhere the database's users cannot write, and compare.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from invoice_capture.audit.chain import GENESIS, event_hash
from invoice_capture.store.models import AuditEvent

#: Rows fetched per round trip while walking a chain.
BATCH = 1000
#: How many recent hashes are remembered to tell an insertion (a link back past the predecessor) from a forgery.
RECENT = 256
#: The triggers (migration 0001) that make the database itself refuse UPDATE and DELETE on audit events.
GUARD_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete")

EDITED, DELETED, INSERTED, REORDERED, RELINKED, UNREADABLE = (
    "edited", "deleted", "inserted", "reordered", "relinked", "unreadable")


@dataclass(frozen=True)
class BrokenLink:
    """The first event at which a tenant's chain stops proving itself, and in plain words why."""

    tenant_id: str
    kind: str
    #: The event (row) at which the check failed; for ``unreadable`` the seq after the last good one.
    seq: int
    event_id: int | None
    action: str
    at: dt.datetime | None
    explanation: str
    expected_seq: int
    expected_prev_hash: str
    stored_prev_hash: str = ""
    stored_hash: str = ""
    computed_hash: str = ""

    def describe(self) -> str:
        """One line for people: which event, then what is wrong with it."""
        when = self.at.astimezone(dt.UTC).isoformat(timespec="seconds") if self.at else "unknown time"
        ident = f"id {self.event_id}" if self.event_id is not None else "id unknown"
        return f"seq {self.seq} ({ident}, {self.action or 'unknown action'}, {when}): {self.explanation}"


@dataclass
class TenantChain:
    """What the walk found for one tenant: how far it got, the hashes at both ends, and the break if any."""

    tenant_id: str
    events: int = 0
    first_hash: str = ""
    last_hash: str = ""
    last_seq: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    broken: BrokenLink | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is not None:
            return (f"tenant {self.tenant_id}: chain BROKEN ({self.broken.kind}) after {self.events} good "
                    f"event{'s' if self.events != 1 else ''}, at {self.broken.describe()}")
        if not self.events:
            return f"tenant {self.tenant_id}: 0 events, nothing to verify"
        return (f"tenant {self.tenant_id}: {self.events} event{'s' if self.events != 1 else ''}, chain intact, "
                f"last hash {self.last_hash} (seq {self.last_seq})")


@dataclass
class VerifyResult:
    """The outcome for every tenant walked, plus whether the database still refuses edits (its triggers)."""

    tenants: list[TenantChain]
    checked_at: dt.datetime
    #: trigger name -> present. Missing triggers do not break a chain, but they mean history is no longer protected.
    guards: dict[str, bool] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return all(t.intact for t in self.tenants)

    @property
    def events(self) -> int:
        return sum(t.events for t in self.tenants)

    @property
    def guarded(self) -> bool:
        return bool(self.guards) and all(self.guards.values())

    def tenant(self, tenant_id: str) -> TenantChain | None:
        return next((t for t in self.tenants if t.tenant_id == tenant_id), None)


async def tenant_ids(session: AsyncSession) -> list[str]:
    """Every tenant that has audit events (not the tenants table: an event may name a tenant that was never
    registered, e.g. a refused cross-tenant action, and it must be verified all the same)."""
    rows = await session.execute(select(AuditEvent.tenant_id).distinct().order_by(AuditEvent.tenant_id))
    return [r[0] for r in rows]


async def guard_triggers(session: AsyncSession) -> dict[str, bool]:
    """Which of the append-only triggers exist right now (someone with DDL rights can drop them)."""
    if session.bind.dialect.name == "postgresql":
        rows = await session.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal"))
    else:
        rows = await session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"))
    present = {r[0] for r in rows}
    return {name: name in present for name in GUARD_TRIGGERS}


async def stream_chain(session: AsyncSession, tenant_id: str, batch: int = BATCH) -> AsyncIterator[AuditEvent]:
    """One tenant's events in seq order."""
    async for ev in stream_events(session, select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
                                  .order_by(AuditEvent.seq), batch):
        yield ev


async def stream_events(session: AsyncSession, stmt: Select[tuple[AuditEvent]],
                        batch: int = BATCH) -> AsyncIterator[AuditEvent]:
    """Events of ``stmt`` fetched ``batch`` rows at a time (a server-side cursor on PostgreSQL)."""
    # populate_existing: what is in the database counts, never an object this session already holds in memory
    result = await session.stream_scalars(stmt.execution_options(yield_per=batch, populate_existing=True))
    try:
        async for ev in result:
            yield ev
    finally:
        await result.close()


async def verify_tenant(session: AsyncSession, tenant_id: str, *, batch: int = BATCH) -> TenantChain:
    """Walk one tenant's chain from seq 1 and stop at the first broken link."""
    out = TenantChain(tenant_id)
    expected_seq, prev_hash = 1, GENESIS
    recent: OrderedDict[str, int] = OrderedDict()  # hash -> seq of the last RECENT good events
    rows = stream_chain(session, tenant_id, batch)
    try:
        while True:
            try:
                ev = await anext(rows)
            except StopAsyncIteration:
                return out
            except (ValueError, TypeError, LookupError) as e:  # a column that no longer decodes (bad JSON, date)
                out.broken = BrokenLink(
                    tenant_id, UNREADABLE, expected_seq, None, "", None,
                    f"the event after seq {expected_seq - 1} cannot be read ({type(e).__name__}: {e}); "
                    "its row was written outside the application", expected_seq, prev_hash)
                return out
            computed = event_hash(ev)
            broken = _check(ev, computed, expected_seq, prev_hash, recent)
            if broken is not None and broken.kind == RELINKED:
                broken = await _refine_relinked(broken, rows)
            if broken is not None:
                out.broken = broken
                return out
            if not out.events:
                out.first_hash, out.first_at = ev.hash, ev.at
            out.events += 1
            out.last_hash, out.last_seq, out.last_at = ev.hash, ev.seq, ev.at
            recent[ev.hash] = ev.seq
            if len(recent) > RECENT:
                recent.popitem(last=False)
            expected_seq, prev_hash = ev.seq + 1, ev.hash
    finally:
        await rows.aclose()


def _check(ev: AuditEvent, computed: str, expected_seq: int, prev_hash: str,
           recent: OrderedDict[str, int]) -> BrokenLink | None:
    """The first thing wrong with ``ev`` given the chain so far, or None.

    Order matters: a seq gap explains everything after it, and a wrong link says more about where the tampering
    is than the row's own hash (an inserted or swapped row usually has a perfectly self-consistent hash).
    """
    def broken(kind: str, why: str) -> BrokenLink:
        return BrokenLink(ev.tenant_id, kind, ev.seq, ev.id, ev.action, ev.at, why, expected_seq, prev_hash,
                          ev.prev_hash, ev.hash, computed)

    if ev.seq > expected_seq:
        missing = (f"seq {expected_seq}" if ev.seq == expected_seq + 1
                   else f"seq {expected_seq} to {ev.seq - 1} ({ev.seq - expected_seq} events)")
        return broken(DELETED, f"event deleted: {missing} is missing, the chain jumps from seq {expected_seq - 1} "
                               f"to seq {ev.seq}")
    if ev.seq < expected_seq:  # only possible for seq < 1: (tenant_id, seq) is unique and rows come in seq order
        return broken(INSERTED, f"event inserted: seq {ev.seq} is not a valid position (chains start at seq 1)")
    if ev.prev_hash != prev_hash:
        if ev.prev_hash in recent:
            back = recent[ev.prev_hash]
            between = f"seq {back + 1}" if back + 1 == ev.seq - 1 else f"seq {back + 1} to {ev.seq - 1}"
            return broken(INSERTED, f"event inserted: this event links back to seq {back}, so {between} before it "
                                    "was not in the original chain (slipped in and the rest renumbered)")
        what = "the genesis value" if prev_hash == GENESIS else f"the hash of seq {ev.seq - 1}"
        return broken(RELINKED, f"prev link mismatch: its prev_hash is not {what}: the previous event was replaced "
                                "by a re-hashed forgery, or events were deleted and the rest renumbered")
    if computed != ev.hash:
        return broken(EDITED, "content edited: the stored hash does not match the event's content (a column was "
                              "changed after the event was written)")
    return None


async def _refine_relinked(broken: BrokenLink, rows: AsyncIterator[AuditEvent]) -> BrokenLink:
    """A link to nothing seen so far may be a link *forward*: if the next row's hash is what this event points
    to, the two were swapped. One extra row is read; the walk stops here anyway."""
    try:
        nxt = await anext(rows)
    except (StopAsyncIteration, ValueError, TypeError, LookupError):
        return broken
    if nxt.hash == broken.stored_prev_hash or event_hash(nxt) == broken.stored_prev_hash:
        why = (f"events reordered: this event links to seq {nxt.seq} (id {nxt.id}, {nxt.action}), which now comes "
               "after it: the two swapped places")
        return BrokenLink(broken.tenant_id, REORDERED, broken.seq, broken.event_id, broken.action, broken.at, why,
                          broken.expected_seq, broken.expected_prev_hash, broken.stored_prev_hash,
                          broken.stored_hash, broken.computed_hash)
    return broken


async def verify(session: AsyncSession, tenant_id: str | None = None, *, batch: int = BATCH) -> VerifyResult:
    """Verify one tenant's chain, or every tenant's. A named tenant with no events is reported with 0 events."""
    tenants = [tenant_id] if tenant_id is not None else await tenant_ids(session)
    chains = [await verify_tenant(session, t, batch=batch) for t in tenants]
    return VerifyResult(chains, dt.datetime.now(dt.UTC), await guard_triggers(session))
