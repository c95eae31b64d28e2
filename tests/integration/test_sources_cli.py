"""`invoice-capture sources add/list/remove` against the database the service uses (no Graph configured)."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoice_capture.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("GRAPH_CLIENT_ID", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path / "data"


def test_add_list_remove(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "add", "--drive", "b!drive1", "--folder", "Invoices/Scans/", "--target",
                 "19:ap@thread.tacv2"]) == 0
    out = capsys.readouterr().out
    assert "added source #1" in out and "folder /Invoices/Scans" in out
    assert "not in that conversation yet" in out and "Graph is not configured" in out
    assert main(["sources", "add", "--mailbox", "AP@Contoso.com", "--target", "19:ap@thread.tacv2"]) == 0
    capsys.readouterr()
    assert main(["sources", "list"]) == 0
    listed = capsys.readouterr().out
    assert "#1" in listed and "#2" in listed and "mailbox ap@contoso.com, folder Inbox" in listed
    assert main(["sources", "remove", "1"]) == 0
    assert main(["sources", "list"]) == 0
    assert "#1 " not in capsys.readouterr().out.split("removed source #1")[-1]


def test_the_same_source_twice_and_a_missing_mailbox_are_refused(data_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "add", "--drive", "b!d", "--folder", "/In", "--target", "19:x"]) == 0
    assert main(["sources", "add", "--drive", "b!d", "--folder", "In/", "--target", "19:y"]) == 2
    assert "already source #1" in capsys.readouterr().err
    assert main(["sources", "add", "--mailbox", " ", "--target", "19:x"]) == 2
    assert "needs --mailbox" in capsys.readouterr().err
    assert main(["sources", "remove", "99"]) == 2
    with pytest.raises(SystemExit):
        main(["sources", "add", "--drive", "b!d"])  # no --target: argparse says what is missing
