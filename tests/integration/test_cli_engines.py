"""`invoice-capture extract --engine azure|chain` as a user runs it: a real process, the real SDK, the fake DI."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.conftest import DEV_SET
from tests.fakes.azure_di import FakeDocumentIntelligence

SAMPLE = DEV_SET / "azure_samples" / "sample-invoice.pdf"


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "invoice_capture.cli", *args,
                                                env={**os.environ, "PYTHONWARNINGS": "ignore", **env},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_extract_with_azure_and_with_the_chain(tmp_path: Path, dev_set: Path) -> None:
    fake = FakeDocumentIntelligence(running_polls=1, retry_after=0)
    endpoint = await fake.start()
    env = {"AZURE_DI_ENDPOINT": endpoint, "AZURE_DI_KEY": "fake-key", "DATA_DIR": str(tmp_path)}
    try:
        code, out, err = await run_cli(env, "extract", "--engine", "azure", "--json", str(SAMPLE))
        assert code == 0, err
        got = json.loads(out)
        assert got["engine"] == "azure" and got["fields"]["CustomerId"]["value"] == "CID-12345"
        assert fake.analyze_calls() == 1
        (tmp_path / "policy.yaml").write_text("extraction: {chain: [local, azure]}\n", encoding="utf-8")
        code, out, err = await run_cli(env, "extract", "--engine", "chain", "--json", str(SAMPLE))
        assert code == 0, err
        got = json.loads(out)
        assert got["engine"] == "chain" and got["engines"] == ["local", "azure"]
        assert [c["engine"] for c in got["engine_calls"]] == ["local", "azure"]
        assert fake.analyze_calls() == 2
        code, _, err = await run_cli({"AZURE_DI_ENDPOINT": "", "DATA_DIR": str(tmp_path)},
                                     "extract", "--engine", "azure", str(SAMPLE))
        assert code != 0 and "AZURE_DI_ENDPOINT" in err and "Traceback" not in err
    finally:
        await fake.close()
