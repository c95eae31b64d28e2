"""The `invoice-capture extract` command as a user runs it: a real process, real files, real exit codes.

Every bad input of issue 2 goes through the CLI next to good files: each gets a one-line error object with a
stable code and a message, the good files are still read, the exit status is 2, and nothing prints a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import badfiles
from tests.conftest import DEV_SET

CLI = [sys.executable, "-m", "invoice_capture.cli"]

BAD = {
    "zero_byte": "empty",
    "truncated_pdf": "corrupt",
    "corrupt_pdf": "corrupt",
    "encrypted_pdf": "encrypted",
    "many_pages_pdf": "too_many_pages",
    "huge_image": "image_too_large",
    "decompression_bomb": "image_too_large",
    "tiny_image": "image_too_small",
    "exe_renamed_pdf": "unsupported_type",
    "zip_renamed_png": "unsupported_type",
    "html_renamed_pdf": "unsupported_type",
    "oversized_file": "too_large",
    "tiff_many_frames": "too_many_frames",
}


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    for maker in BAD:
        getattr(badfiles, maker)(d)
    return d


def test_bad_files_give_error_objects_and_good_files_still_read(bad_dir: Path, tmp_path: Path) -> None:
    good = badfiles.javascript_pdf(tmp_path)
    bad_paths = sorted(bad_dir.iterdir())
    order = [str(bad_paths[0]), str(good), *[str(p) for p in bad_paths[1:]]]
    proc = run_cli("extract", "--json", *order)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["file"] for x in lines] == order  # one line per file, in the order given, path exactly as given
    by_file = {x["file"]: x for x in lines}
    for path in bad_paths:
        out = by_file[str(path)]
        assert "error" in out, out
        assert out["error"]["message"] and len(out["error"]["message"]) > 20
    codes = {x["error"]["code"] for x in lines if "error" in x}
    assert codes >= {"empty", "corrupt", "encrypted", "too_many_pages", "image_too_large", "image_too_small",
                     "unsupported_type", "too_large", "too_many_frames"}
    ok = by_file[str(good)]
    assert "error" not in ok
    assert any("JavaScript" in w for w in ok["warnings"])  # read, never run, and said so


@pytest.mark.parametrize(("maker", "code"), sorted(BAD.items()))
def test_each_bad_file_has_its_code(tmp_path: Path, maker: str, code: str) -> None:
    """The same files through the in-process engine (what the service's jobs call): the same codes."""
    from invoice_capture.extraction.engine import extract_path
    from invoice_capture.extraction.model import ExtractionError

    target = getattr(badfiles, maker)(tmp_path)
    with pytest.raises(ExtractionError) as err:
        extract_path(target)
    assert err.value.code == code


def test_a_huge_image_never_takes_the_process_over_a_gigabyte(tmp_path: Path) -> None:
    """Peak RSS of the CLI and its worker, measured by a fresh parent that runs nothing else."""
    path = badfiles.huge_image(tmp_path)
    probe = (
        "import json, resource, subprocess, sys\n"
        f"p = subprocess.run({[*CLI, 'extract', '--json', str(path)]!r}, capture_output=True, text=True)\n"
        "print(json.dumps({'rc': p.returncode, 'out': p.stdout,"
        " 'kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
    )
    res = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                    timeout=120).stdout)
    assert res["rc"] == 2
    assert json.loads(res["out"])["error"]["code"] == "image_too_large"
    assert 0 < res["kib"] < 1024 * 1024  # the CLI and its worker stayed under 1 GiB


def test_per_file_deadline_stops_a_slow_file_and_the_next_one_is_read(tmp_path: Path) -> None:
    """A file that takes longer than --timeout gets a `timeout` error; the worker restarts for the next file."""
    from invoice_capture.extraction.engine import IsolatedExtractor

    scan = badfiles.valid_png(tmp_path)  # OCR takes far longer than 1 ms
    text = badfiles.javascript_pdf(tmp_path)
    with IsolatedExtractor(timeout_s=0.001) as ex:
        slow = ex.extract(str(scan))
    assert slow["error"]["code"] == "timeout"
    with IsolatedExtractor(timeout_s=60) as ex:
        assert ex.extract(str(scan)).get("error") is None
        assert ex.extract(str(text)).get("error") is None


def test_table_output_shows_confidence_in_words() -> None:
    if not (DEV_SET / "azure_samples/sample-invoice.pdf").is_file():
        pytest.skip("dev set missing")
    proc = run_cli("extract", str(DEV_SET / "azure_samples/sample-invoice.pdf"))
    assert proc.returncode == 0
    assert "InvoiceTotal" in proc.stdout and "110.0" in proc.stdout
    assert " ok" in proc.stdout and "check" in proc.stdout


def test_einvoice_switch(tmp_path: Path) -> None:
    if not (DEV_SET / "zugferd/FX_EN16931_Einfach.pdf").is_file():
        pytest.skip("dev set missing")
    pdf = str(DEV_SET / "zugferd/FX_EN16931_Einfach.pdf")
    on = json.loads(run_cli("extract", "--json", pdf).stdout)
    off = json.loads(run_cli("extract", "--json", "--no-einvoice", pdf).stdout)
    assert on["source"] == "einvoice" and off["source"] == "visual"
    assert on["fields"]["InvoiceTotal"]["value"] == off["fields"]["InvoiceTotal"]["value"] == 529.87


def test_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    proc = run_cli("extract", "--json", str(tmp_path / "nope.pdf"))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "not_found"
    assert "Traceback" not in proc.stderr
