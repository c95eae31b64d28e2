"""The azure engine through Microsoft's SDK against the local fake of the Document Intelligence REST API.

Real HTTP on a loopback port, the real SDK's request building, retry policy and operation poller; the fake
replays the recorded sample invoice. Waits are recorded (SleepLog) rather than spent.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invoice_capture.extraction.azure import AzureEngine, AzureOptions
from tests import badfiles
from tests.fakes.azure_di import FakeDocumentIntelligence, SleepLog


@pytest.fixture
async def fake() -> AsyncIterator[FakeDocumentIntelligence]:
    f = FakeDocumentIntelligence()
    f.endpoint = await f.start()  # type: ignore[attr-defined]
    yield f
    await f.close()


@pytest.fixture
def sample(dev_set: Path) -> Path:
    return dev_set / "azure_samples" / "sample-invoice.pdf"


def engine(fake: FakeDocumentIntelligence, waits: SleepLog | None = None, **options: object) -> AzureEngine:
    opts = AzureOptions(endpoint=fake.endpoint, key="fake-key", **options)  # type: ignore[attr-defined,arg-type]
    return AzureEngine(opts, transport=waits or SleepLog())


async def test_analyzes_the_recorded_invoice_through_the_sdk(fake: FakeDocumentIntelligence, sample: Path) -> None:
    fake.running_polls = 2
    out = await engine(fake).analyze(sample, "sample-invoice.pdf", tenant_id="t1")
    assert "error" not in out, out
    assert out["engine"] == "azure" and out["model_id"] == "prebuilt-invoice" and out["pages"] == 1
    assert out["fields"]["InvoiceId"]["value"] == "INV-100"
    assert out["fields"]["InvoiceTotal"]["value"] == 110.0
    assert out["fields"]["DueDate"]["value"] == "2019-12-15"
    assert fake.analyze_calls() == 1
    polls = [r for r in fake.requests if r.method == "GET"]
    assert len(polls) == 3  # running, running, succeeded
    assert all(r.query["api-version"] == "2024-11-30" for r in fake.requests)


async def test_polling_backs_off_without_retry_after_and_obeys_it_when_sent(fake: FakeDocumentIntelligence,
                                                                           sample: Path) -> None:
    fake.running_polls, fake.retry_after = 3, None
    waits = SleepLog()
    await engine(fake, waits, poll_interval_s=0.5, poll_max_s=1.5).analyze(sample)
    assert waits.waits == [0.5, 1.0, 1.5]  # doubling, capped
    fake.retry_after = 2
    told = SleepLog()
    await engine(fake, told, poll_interval_s=0.5).analyze(sample)
    assert told.waits == [2.0, 2.0, 2.0]


async def test_429_retry_after_is_honoured_then_the_call_succeeds(fake: FakeDocumentIntelligence,
                                                                  sample: Path) -> None:
    fake.throttle_next, fake.throttle_retry_after, fake.running_polls = 2, 3, 0
    waits = SleepLog()
    out = await engine(fake, waits).analyze(sample)
    assert "error" not in out
    assert [r.status for r in fake.requests if r.method == "POST"] == [429, 429, 202]
    assert waits.waits[:2] == [3.0, 3.0]  # exactly what the service asked for


async def test_throttled_past_the_retries_is_an_error_object(fake: FakeDocumentIntelligence, sample: Path) -> None:
    fake.throttle_next = 100
    out = await engine(fake, retries=2).analyze(sample, "s.pdf")
    assert out["error"]["code"] == "azure_throttled"
    assert len([r for r in fake.requests if r.method == "POST"]) == 3  # first try + 2 retries
    assert fake.analyze_calls() == 0


async def test_failed_analysis_gives_the_services_message(fake: FakeDocumentIntelligence, sample: Path) -> None:
    fake.failing.add(hashlib.sha256(sample.read_bytes()).hexdigest())
    out = await engine(fake).analyze(sample, "s.pdf")
    assert out["error"]["code"] == "azure_failed"
    assert "corrupted or format is unsupported" in out["error"]["message"]


async def test_wrong_key_is_an_auth_error(fake: FakeDocumentIntelligence, sample: Path) -> None:
    eng = AzureEngine(AzureOptions(endpoint=fake.endpoint, key="wrong"), transport=SleepLog())  # type: ignore
    out = await eng.analyze(sample, "s.pdf")
    assert out["error"]["code"] == "azure_auth"


async def test_slow_operation_times_out(fake: FakeDocumentIntelligence, sample: Path) -> None:
    fake.running_polls, fake.retry_after = 10_000, None
    eng = AzureEngine(AzureOptions(endpoint=fake.endpoint, key="fake-key", timeout_s=0.3,  # type: ignore
                                   poll_interval_s=0.05, poll_max_s=0.05))
    out = await eng.analyze(sample, "s.pdf")
    assert out["error"]["code"] == "timeout"


async def test_pages_are_capped_and_extra_fields_requested(fake: FakeDocumentIntelligence, tmp_path: Path) -> None:
    pdf = badfiles.valid_pdf(tmp_path, pages=5)
    out = await engine(fake, max_pages=2, features=("keyValuePairs",)).analyze(
        pdf, "five.pdf", query_fields=["LoyaltyNumber"])
    post = next(r for r in fake.requests if r.method == "POST")
    assert post.query["pages"] == "1-2"
    assert post.query["features"] == "keyValuePairs,queryFields" and post.query["queryFields"] == "LoyaltyNumber"
    assert out["error"]["code"] == "azure_failed"  # the fake has no recording of this file, and says so


async def test_custom_model_id_is_used(fake: FakeDocumentIntelligence, sample: Path) -> None:
    out = await engine(fake).analyze(sample, "s.pdf", model_id="contoso-v2")
    assert fake.analyze_calls("contoso-v2") == 1 and fake.analyze_calls("prebuilt-invoice") == 0
    assert out["model_id"] == "contoso-v2"


async def test_refused_files_are_never_sent(fake: FakeDocumentIntelligence, tmp_path: Path) -> None:
    out = await engine(fake).analyze(badfiles.encrypted_pdf(tmp_path), "locked.pdf")
    assert out["error"]["code"] == "encrypted"
    assert fake.requests == []


async def test_client_side_limit_waits_before_the_call(fake: FakeDocumentIntelligence, sample: Path) -> None:
    from invoice_capture.extraction.limiter import RateLimiter

    now = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    eng = engine(fake)
    eng.limiter = RateLimiter([(1, 1.0)], clock=lambda: now[0], sleep=sleep)
    fake.running_polls = 0
    a = await eng.analyze(sample, tenant_id="t1")
    b = await eng.analyze(sample, tenant_id="t1")
    c = await eng.analyze(sample, tenant_id="t2")
    assert slept == [1.0]  # only the second call of t1 waited; t2 has its own budget
    assert b["timings"]["rate_limit_wait_s"] == 1.0
    assert "rate_limit_wait_s" not in a["timings"] and "rate_limit_wait_s" not in c["timings"]
