"""`invoice-capture vendors` as an administrator runs it: a real process against a real database file or server.

The main flow runs on SQLite and on PostgreSQL (the ``db_url`` fixture; PostgreSQL is required when CI=true), the
rest on a SQLite file (each CLI run is a process start plus migrations, so a second database would double the
time for no new coverage). The process gets its database through the environment, as the service does, and runs
in an empty folder so a developer's .env cannot leak in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from invoice_capture.review.vendors import VendorRecord
from invoice_capture.store import repository as repo
from invoice_capture.store.db import Database
from invoice_capture.store.models import Invoice, Vendor
from tests.conftest import REPO

CLI = [sys.executable, "-m", "invoice_capture.cli"]
EXAMPLE = REPO / "docs" / "examples" / "vendors.csv"
HEADER = "name,aliases,tax_id,iban,currency,default_approver\n"


def run_cli(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=db_url, DATA_DIR=str(tmp_path / "data"), DEFAULT_TENANT="local",
               PYTHONWARNINGS="ignore")
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'ic.db'}"


async def vendor_rows(db_url: str, tenant: str = "local") -> list[Vendor]:
    db = Database(db_url)
    try:
        async with db.read() as s:
            return list((await s.execute(select(Vendor).where(Vendor.tenant_id == tenant)
                                         .order_by(Vendor.id))).scalars())
    finally:
        await db.close()


async def test_import_reimport_and_list(tmp_path: Path, db_url: str) -> None:
    first = run_cli(tmp_path, db_url, "vendors", "import", str(EXAMPLE))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "imported 6 vendors (6 new, 0 updated)"

    again = run_cli(tmp_path, db_url, "vendors", "import", str(EXAMPLE))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "imported 6 vendors (0 new, 6 updated)"
    rows = await vendor_rows(db_url)
    assert len(rows) == 6  # updated in place, no duplicates
    contoso = next(r for r in rows if r.tax_id == "DE281097313")
    assert contoso.iban == "DE80500700100923456781"
    assert contoso.aliases == ["Contoso Buero", "Contoso Office Supplies"]

    # found again by tax id although the name is spelled differently; new bank details; an empty cell keeps the
    # value on file; one new vendor
    change = tmp_path / "change.csv"
    change.write_text(HEADER + "CONTOSO Büromaterial GmbH,,de 281 097 313,DE89 3704 0044 0532 0130 00,,\n"
                      "Wide World Importers plc,WWI,GB980780684,,GBP,\n", encoding="utf-8")
    res = run_cli(tmp_path, db_url, "vendors", "import", str(change))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "imported 2 vendors (1 new, 1 updated)"
    rows = await vendor_rows(db_url)
    assert len(rows) == 7
    contoso = next(r for r in rows if r.id == contoso.id)
    assert (contoso.name, contoso.iban, contoso.currency) == ("CONTOSO Büromaterial GmbH", "DE89370400440532013000",
                                                              "EUR")

    listed = run_cli(tmp_path, db_url, "vendors", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 7
    assert any("Wide World Importers plc" in ln and "GB980780684" in ln and "(also: WWI)" in ln for ln in lines)
    assert any("Tailspin Toys B.V." in ln and "NL44RABO0123456789" in ln for ln in lines)

    other = run_cli(tmp_path, db_url, "vendors", "list", "--tenant", "someone-else")
    assert other.returncode == 0
    assert "no vendors in tenant 'someone-else'" in other.stdout


async def test_bad_lines_are_listed_and_the_rest_imported(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path)
    path = tmp_path / "mixed.csv"
    path.write_bytes(("\ufeffName;Tax ID;IBAN;Currency\n"
                      "Tailspin Toys B.V.;NL853417660B01;NL44 RABO 0123 4567 89;EUR\n"
                      "Broken GmbH;DE281097314;;EUR\n"
                      ";;;EUR\n").encode())
    res = run_cli(tmp_path, db_url, "vendors", "import", str(path), "--tenant", "t1")
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert out[0] == "imported 1 vendor (1 new, 0 updated); 2 lines skipped:"
    assert out[1].strip().startswith("Line 3: ") and "DE281097314" in out[1]
    assert out[2].strip().startswith("Line 4: ") and "name is missing" in out[2]
    assert [r.name for r in await vendor_rows(db_url, "t1")] == ["Tailspin Toys B.V."]


async def test_replace_removes_absent_vendors_but_keeps_those_with_invoices(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path)
    assert run_cli(tmp_path, db_url, "vendors", "import", str(EXAMPLE)).returncode == 0
    rows = {r.name: r for r in await vendor_rows(db_url)}
    db = Database(db_url)
    try:
        async with db.write() as s:
            s.add(Invoice(id=str(uuid.uuid4()), tenant_id="local", filename="a.pdf", content_sha256="0" * 64,
                          vendor_id=rows["Northwind Traders Ltd"].id))
    finally:
        await db.close()
    keep = [ln for ln in EXAMPLE.read_text(encoding="utf-8").splitlines()
            if not ln.startswith(("Northwind", "Tailspin"))]
    path = tmp_path / "fewer.csv"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")

    res = run_cli(tmp_path, db_url, "vendors", "import", str(path), "--replace")
    assert res.returncode == 0, res.stderr
    assert "imported 4 vendors (0 new, 4 updated)" in res.stdout
    assert "removed 1 vendor not in the file" in res.stdout
    assert "Kept Northwind Traders Ltd" in res.stdout and "1 invoice refers to it" in res.stdout
    names = {r.name for r in await vendor_rows(db_url)}
    assert "Tailspin Toys B.V." not in names
    assert "Northwind Traders Ltd" in names
    assert len(names) == 5


async def test_replace_with_skipped_lines_removes_nothing(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path)
    assert run_cli(tmp_path, db_url, "vendors", "import", str(EXAMPLE)).returncode == 0
    path = tmp_path / "typo.csv"
    path.write_text(HEADER + "Tailspin Toys B.V.,,NL853417660B01,NL44 RABO 0123 4567 88,EUR,\n"
                    "Alpenblick Software GmbH,,ATU65432105,,EUR,\n", encoding="utf-8")
    res = run_cli(tmp_path, db_url, "vendors", "import", str(path), "--replace")
    assert res.returncode == 0, res.stderr
    assert "1 line skipped" in res.stdout and "nothing removed" in res.stdout
    assert len(await vendor_rows(db_url)) == 6


def test_default_database_is_the_sqlite_file_in_data_dir(tmp_path: Path) -> None:
    res = run_cli(tmp_path, "", "vendors", "import", str(EXAMPLE))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "data" / "invoice-capture.db").is_file()
    listed = run_cli(tmp_path, "", "vendors", "list")
    assert len(listed.stdout.splitlines()) == 6


@pytest.mark.parametrize(("content", "words"), [
    (None, "cannot read"),
    (b"\xff\xfeN\x00a\x00m\x00e\x00", "not UTF-8"),
    (HEADER.encode(), "no usable vendor line"),
    (b"iban,currency\nDE80500700100923456781,EUR\n", "no 'name' column"),
    ((HEADER + ",,,,EUR,\n").encode(), "Line 2:"),
])
def test_unusable_files_exit_2_and_change_nothing(tmp_path: Path, content: bytes | None, words: str) -> None:
    path = tmp_path / "vendors.csv"
    if content is not None:
        path.write_bytes(content)
    res = run_cli(tmp_path, "", "vendors", "import", str(path))
    assert res.returncode == 2
    assert words in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "data").exists()  # the database was never opened


async def test_import_vendors_never_merges_two_vendors_into_one_name(tmp_path: Path) -> None:
    """The store function directly: a record whose tax id is one vendor's and whose name is another's is skipped
    with a sentence, unless --replace removes the other vendor first; a second record for the same vendor is
    skipped rather than applied on top of the first."""
    db = Database(sqlite_url(tmp_path))
    try:
        await db.migrate()
        alpha = VendorRecord(id=None, name="Alpha GmbH", tax_id="DE281097313", iban="DE80500700100923456781")
        beta = VendorRecord(id=None, name="Beta GmbH")
        async with db.write() as s:
            res = await repo.import_vendors(s, "t", [alpha, beta])
        assert res == (2, 0) and (res.created, res.updated) == (2, 0) and res.problems == ()

        renamed = VendorRecord(id=None, name="BETA GmbH", tax_id="DE 281 097 313")
        async with db.write() as s:
            res = await repo.import_vendors(s, "t", [renamed, VendorRecord(id=None, name="alpha gmbh")])
        assert res == (0, 0)
        assert len(res.problems) == 2
        beta_p, alpha_p = sorted(res.problems)
        assert beta_p.startswith("Skipped BETA GmbH: its tax id is on file for Alpha GmbH")
        assert "already called BETA GmbH" in beta_p
        assert alpha_p.startswith("Skipped alpha gmbh") and "same vendor (Alpha GmbH)" in alpha_p
        async with db.read() as s:
            rows = await repo.list_vendors(s, "t")
        assert [(r.name, r.iban) for r in rows] == [("Alpha GmbH", "DE80500700100923456781"), ("Beta GmbH", "")]

        async with db.write() as s:
            res = await repo.import_vendors(s, "t", [renamed], replace=True)
        assert res == (0, 1) and res.removed == 1 and res.problems == ()
        async with db.read() as s:
            rows = await repo.list_vendors(s, "t")
            assert [(r.name, r.iban) for r in rows] == [("BETA GmbH", "DE80500700100923456781")]
            assert await repo.get_vendor(s, "t", rows[0].id) is rows[0]
            assert await repo.get_vendor(s, "other-tenant", rows[0].id) is None
            assert await repo.list_vendors(s, "other-tenant") == []
    finally:
        await db.close()
