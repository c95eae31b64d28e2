"""The audit log you can prove: verification catches every kind of tampering, exports are exact and OSCAL is valid.

Every tampering test goes behind the application's back the way an insider with database rights would: raw SQL,
after dropping the append-only trigger that would otherwise refuse it. Chains are built through ``chain.append``,
the same code the review service uses, on both real databases (``db_url``: SQLite file and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from invoice_capture import cli
from invoice_capture.audit import chain
from invoice_capture.audit.export import CSV_COLUMNS, OSCAL_VERSION, Evidence, Period, build_oscal
from invoice_capture.audit.verify import (
    DELETED,
    EDITED,
    INSERTED,
    RELINKED,
    REORDERED,
    UNREADABLE,
    VerifyResult,
    verify,
)
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import AuditEvent
from tests.schemas.oscal import SCHEMA_PATH, ecma_to_python, oscal_errors

UTC = dt.UTC
ACTIONS = ("received", "extracted", "approved", "edited", "rejected", "escalated", "approved")
BATCH = 2  # small, so every walk crosses batch boundaries (and the break is found mid-stream)


class Clock:
    """Stands in for ``chain.utcnow``: hands out the queued instants, then the real time."""

    def __init__(self) -> None:
        self.queue: list[dt.datetime] = []

    def __call__(self) -> dt.datetime:
        return self.queue.pop(0) if self.queue else dt.datetime.now(UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(chain, "utcnow", c)
    return c


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


async def build_chain(db: Database, tenant: str, n: int = len(ACTIONS), *, reasons: dict[int, str] | None = None
                      ) -> list[AuditEvent]:
    """``n`` events for ``tenant`` through the application's append (seq 1..n)."""
    out = []
    async with db.write() as s:
        await repo.ensure_tenant(s, tenant)
        for i in range(n):
            action = ACTIONS[i % len(ACTIONS)]
            human = action in ("approved", "edited", "rejected", "escalated")
            out.append(await chain.append(
                s, tenant_id=tenant, action=action, actor_id="aad-oid-ann" if human else "system",
                actor_name="Ann Clerk" if human else "Invoice Capture", invoice_id=f"inv-{i // 3}",
                changes={"state": ["needs_review", action], "InvoiceTotal": [100.0 + i, 110.0 + i]},
                reason=(reasons or {}).get(i + 1, "")))
    return out


async def sql(db: Database, statement: str, **params: Any) -> None:
    async with db.write() as s:
        await s.execute(text(statement), params)


async def drop_guard(db: Database, verb: str) -> None:
    """What an insider does first: drop the trigger that refuses UPDATE (or DELETE) on audit events."""
    await sql(db, f"DROP TRIGGER audit_events_no_{verb}" + ("" if db.is_sqlite else " ON audit_events"))


async def load(db: Database, tenant: str, seq: int) -> AuditEvent:
    async with db.read() as s:
        return (await s.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant, AuditEvent.seq == seq))
                ).scalar_one()


def copy_event(ev: AuditEvent, **changes: Any) -> AuditEvent:
    cols = ("tenant_id", "seq", "invoice_id", "actor_id", "actor_name", "action", "changes", "reason", "at",
            "prev_hash")
    fields = {c: getattr(ev, c) for c in cols} | changes
    forged = AuditEvent(**fields)
    forged.hash = chain.event_hash(forged)
    return forged


async def verify_db(db: Database, tenant: str | None = None) -> VerifyResult:
    async with db.read() as s:
        return await verify(s, tenant, batch=BATCH)


# ---- verification ----------------------------------------------------------------------------------------------


async def test_intact_chains_verify_per_tenant(db: Database) -> None:
    a = await build_chain(db, "tenant-a")
    b = await build_chain(db, "tenant-b", 3)

    result = await verify_db(db)
    assert result.intact and result.events == len(a) + 3
    assert [t.tenant_id for t in result.tenants] == ["tenant-a", "tenant-b"]
    ta = result.tenant("tenant-a")
    assert ta is not None and ta.events == len(a) and ta.last_seq == len(a)
    assert (ta.first_hash, ta.last_hash) == (a[0].hash, a[-1].hash)
    assert a[0].prev_hash == chain.GENESIS
    assert result.guards == {"audit_events_no_update": True, "audit_events_no_delete": True}
    assert "7 events, chain intact, last hash " + a[-1].hash in ta.describe()

    only_b = await verify_db(db, "tenant-b")
    assert [t.tenant_id for t in only_b.tenants] == ["tenant-b"] and only_b.tenants[0].last_hash == b[-1].hash
    nobody = await verify_db(db, "no-such-tenant")
    assert nobody.intact and nobody.events == 0


async def test_triggers_refuse_update_and_delete(db: Database) -> None:
    await build_chain(db, "t", 3)
    with pytest.raises(DBAPIError, match="append-only"):
        await sql(db, "UPDATE audit_events SET reason = 'changed' WHERE seq = 2")
    with pytest.raises(DBAPIError, match="append-only"):
        await sql(db, "DELETE FROM audit_events WHERE seq = 2")
    assert (await verify_db(db)).intact


async def test_edited_content_is_caught_at_that_event(db: Database) -> None:
    events = await build_chain(db, "t")
    await build_chain(db, "other", 3)
    await drop_guard(db, "update")
    # the approved total quietly lowered on the approval event (seq 3)
    forged = json.dumps({"state": ["needs_review", "approved"], "InvoiceTotal": [102.0, 1.0]})
    await sql(db, "UPDATE audit_events SET changes = " + (":c" if db.is_sqlite else "CAST(:c AS JSON)") +
              " WHERE tenant_id = 't' AND seq = 3", c=forged)

    result = await verify_db(db)
    assert not result.intact
    t = result.tenant("t")
    assert t is not None and t.broken is not None
    assert (t.broken.kind, t.broken.seq, t.broken.event_id, t.broken.action) == (EDITED, 3, events[2].id, "approved")
    assert t.broken.at == events[2].at and t.events == 2
    assert "content edited" in t.broken.describe() and f"id {events[2].id}" in t.broken.describe()
    other = result.tenant("other")
    assert other is not None and other.intact  # one tenant's tampering says nothing against another's chain
    assert result.guards["audit_events_no_update"] is False and not result.guarded


async def test_deleted_middle_event_is_caught_as_a_gap(db: Database) -> None:
    events = await build_chain(db, "t")
    await drop_guard(db, "delete")
    await sql(db, "DELETE FROM audit_events WHERE tenant_id = 't' AND seq = 3")

    t = (await verify_db(db, "t")).tenants[0]
    assert t.broken is not None
    assert (t.broken.kind, t.broken.seq, t.broken.event_id) == (DELETED, 4, events[3].id)
    assert "seq 3 is missing" in t.broken.explanation
    assert t.events == 2 and t.last_seq == 2


async def test_rehashed_forgery_is_caught_at_the_next_link(db: Database) -> None:
    """The attacker edits seq 3 *and* recomputes its hash: the row checks out alone, the link after it cannot."""
    events = await build_chain(db, "t")
    await drop_guard(db, "update")
    forged = copy_event(await load(db, "t", 3), reason="approved by phone")
    assert forged.hash != events[2].hash
    await sql(db, "UPDATE audit_events SET reason = :r, hash = :h WHERE id = :id", r=forged.reason, h=forged.hash,
              id=events[2].id)

    t = (await verify_db(db, "t")).tenants[0]
    assert t.broken is not None
    assert (t.broken.kind, t.broken.seq, t.broken.event_id) == (RELINKED, 4, events[3].id)
    assert t.events == 3  # seq 3 itself is self-consistent; that is why the chain exists
    assert t.broken.stored_prev_hash == events[2].hash and t.broken.expected_prev_hash == forged.hash
    assert "prev link mismatch" in t.broken.explanation


async def test_inserted_event_is_caught(db: Database) -> None:
    """Room made by renumbering seq 3.. upwards, then a forged event with a valid link and hash slipped in."""
    events = await build_chain(db, "t", 5)
    await drop_guard(db, "update")
    for seq in range(5, 2, -1):
        await sql(db, "UPDATE audit_events SET seq = seq + 1 WHERE tenant_id = 't' AND seq = :s", s=seq)
    forged = copy_event(events[1], seq=3, action="approved", actor_id="aad-oid-mallory", prev_hash=events[1].hash,
                        at=events[1].at + dt.timedelta(milliseconds=1))
    async with db.write() as s:
        s.add(forged)

    t = (await verify_db(db, "t")).tenants[0]
    assert t.broken is not None
    assert (t.broken.kind, t.broken.seq, t.broken.event_id) == (INSERTED, 4, events[2].id)
    assert "links back to seq 2" in t.broken.explanation and "seq 3 before it" in t.broken.explanation


async def test_swapped_events_are_caught_as_reordered(db: Database) -> None:
    events = await build_chain(db, "t")
    await drop_guard(db, "update")
    await sql(db, "UPDATE audit_events SET seq = -1 WHERE tenant_id = 't' AND seq = 3")
    await sql(db, "UPDATE audit_events SET seq = 3 WHERE tenant_id = 't' AND seq = 4")
    await sql(db, "UPDATE audit_events SET seq = 4 WHERE tenant_id = 't' AND seq = -1")

    t = (await verify_db(db, "t")).tenants[0]
    assert t.broken is not None
    assert (t.broken.kind, t.broken.seq, t.broken.event_id) == (REORDERED, 3, events[3].id)
    assert f"id {events[2].id}" in t.broken.explanation


async def test_undecodable_row_is_reported_not_a_traceback(tmp_path: Path) -> None:
    """SQLite stores JSON as text, so an insider can write something that no longer parses (PostgreSQL refuses)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'raw.db'}")
    await db.migrate()
    try:
        await build_chain(db, "t", 4)
        await drop_guard(db, "update")
        await sql(db, "UPDATE audit_events SET changes = '{not json' WHERE seq = 3")
        t = (await verify_db(db, "t")).tenants[0]
        assert t.broken is not None and (t.broken.kind, t.broken.seq, t.events) == (UNREADABLE, 3, 2)
        assert "cannot be read" in t.broken.explanation
    finally:
        await db.close()


# ---- the command line, for real --------------------------------------------------------------------------------


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("invoice-capture")
    return [str(script)] if script.exists() else [sys.executable, "-m", "invoice_capture.cli"]


async def run_cli(db: Database, tmp_path: Path, *args: str, real: bool = True) -> tuple[int, str, str]:
    """``invoice-capture ARGS`` against the test's database: the installed console script in a child process (cwd
    away from any .env), or with ``real=False`` ``cli.main`` in a worker thread (the same parser and command, without
    the seconds a fresh interpreter spends importing SQLAlchemy and Alembic; used where a test runs it many times)."""
    env = {"DATABASE_URL": db.url, "DATA_DIR": str(tmp_path / "data")}
    if not real:
        out, err = io.StringIO(), io.StringIO()

        def call() -> int:
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    return cli.main(list(args))
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v

        code = await asyncio.to_thread(call)
        return code, out.getvalue(), err.getvalue()
    proc = await asyncio.create_subprocess_exec(*_cli(), *args, cwd=tmp_path, env={**os.environ, **env},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, stdout.decode(), stderr.decode()


async def test_cli_verify_exit_status_and_first_broken_link(db: Database, tmp_path: Path) -> None:
    events = await build_chain(db, "t")
    code, out, err = await run_cli(db, tmp_path, "audit", "verify")
    assert code == 0, err
    assert f"tenant t: 7 events, chain intact, last hash {events[-1].hash} (seq 7)" in out

    await drop_guard(db, "delete")
    await sql(db, "DELETE FROM audit_events WHERE tenant_id = 't' AND seq = 3")
    code, out, err = await run_cli(db, tmp_path, "audit", "verify", "--tenant", "t")
    assert code == 1
    assert "tenant t: chain BROKEN (deleted)" in out and f"seq 4 (id {events[3].id}, edited," in out
    assert "seq 3 is missing" in out
    assert "audit_events_no_delete is missing" in err


DAY1, DAY2, DAY3 = dt.date(2026, 3, 30), dt.date(2026, 3, 31), dt.date(2026, 4, 1)


def _at(day: dt.date, *hms: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(*hms), UTC)


@pytest.fixture
async def three_days(db: Database, clock: Clock) -> list[AuditEvent]:
    """Seven events for tenant t over three UTC days, two exactly on the edges of DAY2, plus another tenant."""
    clock.queue = [_at(DAY1, 9), _at(DAY1, 23, 59, 59, 999999), _at(DAY2), _at(DAY2, 12, 30),
                   _at(DAY2, 23, 59, 59, 999999), _at(DAY3), _at(DAY3, 8)]
    events = await build_chain(db, "t", reasons={4: "=HYPERLINK(\"http://x\",\"click\")", 5: "VAT differs"})
    clock.queue = [_at(DAY2, 10)]
    await build_chain(db, "other", 1)
    return events


def _rehash(record: dict[str, Any]) -> str:
    """The published recipe, independent of the application's code: sha256 of the canonical JSON minus id/hash."""
    body = {k: v for k, v in record.items() if k not in ("id", "hash")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                          ).hexdigest()


async def test_cli_export_json_filters_days_and_rehashes(db: Database, tmp_path: Path,
                                                         three_days: list[AuditEvent]) -> None:
    code, out, err = await run_cli(db, tmp_path, "audit", "export", "--format", "json", "--from", str(DAY2),
                                   "--to", str(DAY2), "--tenant", "t")
    assert code == 0, err
    records = json.loads(out)
    assert [r["seq"] for r in records] == [3, 4, 5]  # 00:00:00 and 23:59:59.999999 in, the next midnight out
    assert [r["id"] for r in records] == [e.id for e in three_days[2:5]]
    assert records[0]["at"] == "2026-03-31T00:00:00.000000+00:00"
    for rec, ev in zip(records, three_days[2:5], strict=True):
        assert rec["hash"] == ev.hash == _rehash(rec)
        assert rec["prev_hash"] == three_days[rec["seq"] - 2].hash
    assert records[1]["changes"] == {"state": ["needs_review", "edited"], "InvoiceTotal": [103.0, 113.0]}

    code, out, _ = await run_cli(db, tmp_path, "audit", "export", "--format", "json", "--from", str(DAY1),
                                 "--to", str(DAY3), real=False)
    assert code == 0
    assert [(r["tenant_id"], r["seq"]) for r in json.loads(out)] == [("other", 1)] + [("t", i) for i in range(1, 8)]

    code, out, _ = await run_cli(db, tmp_path, "audit", "export", "--format", "json", "--from", "2026-01-01",
                                 "--to", "2026-01-31", real=False)
    assert code == 0 and json.loads(out) == []
    code, _, err = await run_cli(db, tmp_path, "audit", "export", "--format", "json", "--from", str(DAY3),
                                 "--to", str(DAY1), real=False)
    assert code == 2 and "before" in err


async def test_cli_export_csv_rows(db: Database, tmp_path: Path, three_days: list[AuditEvent]) -> None:
    target = tmp_path / "out" / "audit.csv"
    target.parent.mkdir()
    code, _, err = await run_cli(db, tmp_path, "audit", "export", "--format", "csv", "--from", str(DAY1),
                                 "--to", str(DAY2), "--tenant", "t", "--out", str(target))
    assert code == 0 and "exported 5 events (csv)" in err
    assert sorted(p.name for p in target.parent.iterdir()) == ["audit.csv"]  # no .part left behind
    with target.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    assert tuple(header) == CSV_COLUMNS
    assert [int(r["seq"]) for r in rows] == [1, 2, 3, 4, 5]
    for row, ev in zip(rows, three_days[:5], strict=True):
        assert (int(row["id"]), row["hash"], row["prev_hash"], row["action"]) == (ev.id, ev.hash, ev.prev_hash,
                                                                                ev.action)
        assert json.loads(row["changes"]) == ev.changes
    assert rows[4]["reason"] == "VAT differs"
    # a reason typed by a user that Excel would run as a formula is neutralised in the spreadsheet form only
    assert rows[3]["reason"] == "'=HYPERLINK(\"http://x\",\"click\")"


def _result(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["assessment-results"]["results"][0]


def _finding(doc: dict[str, Any], control: str) -> dict[str, Any]:
    return next(f for f in _result(doc)["findings"] if f["target"]["target-id"] == f"{control}_smt")


def _all_uuids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if (k == "uuid" or k.endswith("-uuid")) and isinstance(v, str):
                yield v
            yield from _all_uuids(v)
    elif isinstance(node, list):
        for v in node:
            yield from _all_uuids(v)


async def test_cli_export_oscal_is_valid_and_tracks_the_chain(db: Database, tmp_path: Path,
                                                              three_days: list[AuditEvent]) -> None:
    args = ("audit", "export", "--format", "oscal", "--from", str(DAY2), "--to", str(DAY2), "--tenant", "t")
    code, out, err = await run_cli(db, tmp_path, *args)
    assert code == 0, err
    doc = json.loads(out)
    assert oscal_errors(doc) == []
    ar = doc["assessment-results"]
    assert ar["metadata"]["oscal-version"] == OSCAL_VERSION
    res = _result(doc)
    assert (res["start"], res["end"]) == ("2026-03-31T00:00:00Z", "2026-03-31T23:59:59.999999Z")
    assert [c["control-id"] for c in res["reviewed-controls"]["control-selections"][0]["include-controls"]] == \
        ["au-2", "au-3", "au-9", "au-12"]
    uuids = list(_all_uuids(doc))
    assert uuids and all(uuid.UUID(u).version == 5 for u in uuids)

    def props(obs: dict[str, Any]) -> dict[str, str]:
        return {p["name"]: p["value"] for p in obs.get("props", [])}

    by_action = {props(o)["action"]: props(o) for o in res["observations"] if "action" in props(o)}
    assert by_action == {
        "approved": by_action["approved"] | {"event-count": "1", "first-seq": "3", "last-seq": "3"},
        "edited": by_action["edited"] | {"event-count": "1", "first-seq": "4", "last-seq": "4"},
        "rejected": by_action["rejected"] | {"event-count": "1", "first-seq": "5", "last-seq": "5"},
    }
    assert by_action["approved"]["category"] == "decision"
    chain_obs = next(props(o) for o in res["observations"] if "events-checked" in props(o))
    assert chain_obs["events-checked"] == "7" and chain_obs["chain-intact"] == "true"
    assert (chain_obs["first-hash"], chain_obs["last-hash"]) == (three_days[0].hash, three_days[-1].hash)
    au9 = _finding(doc, "au-9")
    assert au9["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    obs_ids = {o["uuid"] for o in res["observations"]}
    assert {r["observation-uuid"] for r in au9["related-observations"]} <= obs_ids
    assert _finding(doc, "au-3")["target"]["status"]["state"] == "satisfied"

    code, again, _ = await run_cli(db, tmp_path, *args, real=False)  # re-export: same subject, same identifiers
    assert code == 0 and list(_all_uuids(json.loads(again))) == uuids

    await drop_guard(db, "update")
    await sql(db, "UPDATE audit_events SET actor_id = 'aad-oid-mallory' WHERE tenant_id = 't' AND seq = 6")
    code, out, err = await run_cli(db, tmp_path, *args, real=False)
    assert code == 0 and "AU-9 as not satisfied" in err
    doc = json.loads(out)
    assert oscal_errors(doc) == []
    au9 = _finding(doc, "au-9")
    assert au9["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert "seq 6" in au9["description"] and "content edited" in au9["description"]
    assert "audit_events_no_update" in au9["description"]
    chain_obs = next(props(o) for o in _result(doc)["observations"] if "events-checked" in props(o))
    assert (chain_obs["chain-intact"], chain_obs["broken-seq"], chain_obs["broken-kind"]) == ("false", "6", EDITED)
    assert list(_all_uuids(doc)) == uuids  # the same subject: identifiers stay, the content says what changed
    assert doc["assessment-results"]["metadata"]["version"] != ar["metadata"]["version"]


async def test_cli_export_oscal_all_tenants_to_file(db: Database, tmp_path: Path,
                                                    three_days: list[AuditEvent]) -> None:
    target = tmp_path / "evidence.json"
    code, _, err = await run_cli(db, tmp_path, "audit", "export", "--format", "oscal", "--from", str(DAY1),
                                 "--to", str(DAY3), "--out", str(target), real=False)
    assert code == 0, err
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert oscal_errors(doc) == []
    titles = [o["title"] for o in _result(doc)["observations"]]
    assert "Hash chain of tenant other: intact" in titles and "Hash chain of tenant t: intact" in titles
    assert "all tenants" in doc["assessment-results"]["metadata"]["title"]


# ---- the schema and the validator itself -----------------------------------------------------------------------


def test_shipped_schema_is_the_recorded_release() -> None:
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "37f41f6813c78e6d2c272b27030e17e93d7f92fee519c72e7531574fa0ecbb05"
    assert json.loads(raw)["$id"] == f"http://csrc.nist.gov/ns/oscal/{OSCAL_VERSION}/oscal-ar-schema.json"


def _minimal_doc() -> dict[str, Any]:
    now = dt.datetime(2026, 4, 2, 8, tzinfo=UTC)
    result = VerifyResult([], now, {"audit_events_no_update": True, "audit_events_no_delete": True})
    return build_oscal(Evidence(), result, Period(DAY1, DAY1), "t", now=now)


def test_validator_reads_unicode_classes_exactly() -> None:
    token = ecma_to_python(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$")
    ok = ["au-9", "größe", "_x", "a²", "名前", "x.y-z_1"]
    bad = ["1abc", "-x", "Ⅻ", "a b", "x:y", "a\n", "²"]  # Ⅻ and ² are numbers (\p{N}), not letters
    assert [t for t in ok if not re.search(token, t)] == []
    assert [t for t in bad if re.search(token, t)] == []
    assert not re.search(ecma_to_python(r"^\S(.*\S)?$"), "value\n")  # ECMA $ is the very end
    assert not re.search(ecma_to_python(r"^\S(.*\S)?$"), "a\u2028b")  # ECMA . excludes line separators


def test_validator_rejects_what_the_schema_forbids() -> None:
    doc = _minimal_doc()
    assert oscal_errors(doc) == []

    def broken(mutate: Any) -> list[str]:
        d = json.loads(json.dumps(doc))
        mutate(d["assessment-results"])
        return oscal_errors(d)

    def bad_prop(d: dict[str, Any]) -> None:
        d["results"][0]["props"][0]["name"] = "1-starts-with-a-digit"

    def uuid_v1(d: dict[str, Any]) -> None:
        d["uuid"] = str(uuid.uuid1())

    def trailing_newline(d: dict[str, Any]) -> None:
        d["metadata"]["version"] = "evidence\n"

    def bad_time(d: dict[str, Any]) -> None:
        d["metadata"]["last-modified"] = "2026-04-02 08:00"

    def bad_state(d: dict[str, Any]) -> None:
        d["results"][0]["findings"][0]["target"]["status"]["state"] = "mostly-fine"

    def no_import_ap(d: dict[str, Any]) -> None:
        del d["import-ap"]

    for mutate in (bad_prop, uuid_v1, trailing_newline, bad_time, bad_state, no_import_ap):
        assert broken(mutate), mutate.__name__

    def unicode_prop(d: dict[str, Any]) -> None:
        d["results"][0]["props"][0]["name"] = "größe"

    assert broken(unicode_prop) == []


def test_oscal_uuids_are_stable_per_tenant_and_period() -> None:
    a, b = _minimal_doc(), _minimal_doc()
    assert a["assessment-results"]["uuid"] == b["assessment-results"]["uuid"]
    now = dt.datetime(2026, 4, 2, 8, tzinfo=UTC)
    other = build_oscal(Evidence(), VerifyResult([], now, {}), Period(DAY1, DAY2), "t", now=now)
    assert other["assessment-results"]["uuid"] != a["assessment-results"]["uuid"]
    # triggers that were not checked are no evidence of protection: AU-9 is not claimed, and the document stays valid
    assert oscal_errors(other) == []
    au9 = _finding(other, "au-9")
    assert au9["target"]["status"]["state"] == "not-satisfied" and "not checked" in au9["description"]
