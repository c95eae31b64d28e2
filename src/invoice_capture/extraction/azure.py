"""The ``azure`` engine: Azure Document Intelligence (API 2024-11-30) through Microsoft's own SDK.

One call is one analyze operation: the file is checked here first (a file our validation refuses is never sent,
and never billed), the tenant's rate limit is waited for, the document is posted, and the operation is polled
until it succeeds, fails or runs out of time. What can go wrong is answered with the contract's error object, so
the chain (or the CLI) decides what to do next:

- 429: the SDK's retry policy honours Retry-After (``retries`` times), then ``azure_throttled``;
- polling: Retry-After when the service sends one, else an interval that doubles up to ``poll_max_s``;
- a failed analysis: ``azure_failed`` with the service's own message; 401/403: ``azure_auth``;
  unreachable: ``azure_unreachable``; the whole call over ``timeout_s``: ``timeout``;
- pages: only the first ``max_pages`` are sent (Azure bills per page), with a warning saying so.

The SDK client is made per call, inside the caller's event loop: it holds an aiohttp session, and the service,
the CLI and the tests each run their own loop. A document takes seconds, so the extra connection is noise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoice_capture.extraction.azure_map import key_value_pairs, map_analyze_result
from invoice_capture.extraction.limiter import RateLimiter
from invoice_capture.extraction.model import ExtractionError
from invoice_capture.ingest.validation import validate_file

if TYPE_CHECKING:
    from invoice_capture.config import Settings

API_VERSION = "2024-11-30"
PREBUILT_INVOICE = "prebuilt-invoice"


@dataclass
class AzureOptions:
    endpoint: str
    key: str = ""
    model_id: str = PREBUILT_INVOICE
    #: ``keyValuePairs`` (label/value pairs for vendor rules), ``queryFields`` (extra named fields).
    features: tuple[str, ...] = ()
    query_fields: tuple[str, ...] = ()
    max_pages: int = 20
    timeout_s: float = 120.0
    poll_interval_s: float = 1.0
    poll_max_s: float = 8.0
    retries: int = 4
    calls_per_second: int = 15
    calls_per_minute: int = 360

    @classmethod
    def from_settings(cls, s: Settings, **overrides: Any) -> AzureOptions:
        base = {"endpoint": s.azure_di_endpoint, "key": s.azure_di_key, "model_id": s.azure_di_model,
                "max_pages": s.azure_di_max_pages, "timeout_s": s.azure_di_timeout_s,
                "calls_per_second": s.azure_di_calls_per_second, "calls_per_minute": s.azure_di_calls_per_minute}
        return cls(**{**base, **overrides})


def retry_after(headers: Any) -> float | None:
    """Seconds the service asked us to wait (``retry-after-ms``, ``x-ms-retry-after-ms`` or ``Retry-After`` in
    seconds), or None when it did not say (an HTTP-date Retry-After is not sent by Document Intelligence)."""
    for name, unit in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is not None:
            try:
                return max(float(raw) * unit, 0.0)
            except ValueError:
                return None
    return None


def _backoff_polling(interval: float, max_interval: float, **kwargs: Any) -> Any:
    """The SDK's operation poller, with the wait doubling from ``interval`` to ``max_interval`` between polls
    unless the service says how long to wait (Retry-After, honoured even when it is 0)."""
    from azure.core.polling.async_base_polling import AsyncLROBasePolling

    class BackoffPolling(AsyncLROBasePolling):
        polls = 0

        def _extract_delay(self) -> float:
            told = retry_after(self._pipeline_response.http_response.headers)
            if told is not None:
                return told
            delay = min(interval * (2 ** self.polls), max_interval)
            self.polls += 1
            return delay

    return BackoffPolling(interval, **kwargs)


def _error(code: str, message: str, name: str) -> dict[str, Any]:
    return ExtractionError(code, message).to_json(name)


def _service_error(exc: Any) -> tuple[str, str]:
    """The service's own error code and message from an ``HttpResponseError`` (a failed operation included)."""
    err = getattr(exc, "error", None)
    code = str(getattr(err, "code", "") or "")
    message = str(getattr(err, "message", "") or "")
    inner = getattr(err, "innererror", None) or {}
    if isinstance(inner, dict) and inner.get("message"):
        code, message = str(inner.get("code") or code), str(inner["message"])
    return code, message or str(getattr(exc, "reason", "") or exc)


@dataclass
class AzureEngine:
    """Analyze files with Azure Document Intelligence; ``analyze`` returns the contract's JSON for one file."""

    options: AzureOptions
    limiter: RateLimiter | None = None
    #: An azure-core async credential to use instead of the key (default: azure-identity's chain when no key).
    credential: Any = None
    #: Makes the SDK client's HTTP transport, one per call (tests give one that records sleeps instead of sleeping).
    transport: Callable[[], Any] | None = None

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = RateLimiter([(self.options.calls_per_second, 1.0), (self.options.calls_per_minute, 60.0)])

    def _credential(self) -> Any:
        if self.credential is None:
            if self.options.key:
                from azure.core.credentials import AzureKeyCredential

                self.credential = AzureKeyCredential(self.options.key)
            else:
                from azure.identity.aio import DefaultAzureCredential

                self.credential = DefaultAzureCredential()
        return self.credential

    async def analyze(self, path: Path | str, name: str | None = None, *, tenant_id: str = "",
                      model_id: str | None = None, query_fields: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
        """The contract's JSON for ``path`` read by Azure, or ``{"file", "error"}``.

        ``model_id`` overrides the configured model (a vendor's custom model); ``query_fields`` adds extra fields
        to ask for (queryFields feature) on top of the configured ones. The result carries ``model_id`` and, with
        the keyValuePairs feature, ``key_values``."""
        t0 = time.perf_counter()
        name = name if name is not None else str(path)
        try:
            info = validate_file(Path(path))
        except ExtractionError as exc:
            return exc.to_json(name)
        if info.kind == "xml":
            return _error("unsupported_type", "Azure Document Intelligence reads PDFs and images, not e-invoice "
                          "XML; the e-invoice reader handles this file.", name)
        warnings = list(info.warnings)
        pages = None
        if info.pages > self.options.max_pages:
            pages = f"1-{self.options.max_pages}"
            warnings.append(f"Only the first {self.options.max_pages} of {info.pages} pages were sent to Azure "
                            "Document Intelligence (setting AZURE_DI_MAX_PAGES).")
        model = model_id or self.options.model_id
        fields = tuple(dict.fromkeys((*self.options.query_fields, *query_fields)))
        features = list(dict.fromkeys((*self.options.features, *(("queryFields",) if fields else ()))))
        assert self.limiter is not None
        waited = await self.limiter.acquire(tenant_id or "-")
        try:
            async with asyncio.timeout(self.options.timeout_s):
                raw = await self._run(Path(path).read_bytes(), model, pages, features, list(fields))
        except TimeoutError:
            return _error("timeout", f"Azure Document Intelligence did not finish within "
                          f"{self.options.timeout_s:.0f} s (setting AZURE_DI_TIMEOUT).", name)
        except Exception as exc:  # classified below; anything else is a bug and is raised
            out = self._classify(exc, name)
            if out is None:
                raise
            return out
        result = map_analyze_result(raw, name)
        result.warnings = warnings + result.warnings
        result.timings = {"azure_s": time.perf_counter() - t0 - waited, "total_s": time.perf_counter() - t0}
        if waited:
            result.timings["rate_limit_wait_s"] = waited
        out = result.to_json()
        out["model_id"] = model
        if kvs := key_value_pairs(raw):
            out["key_values"] = kvs
        return out

    async def _run(self, data: bytes, model: str, pages: str | None, features: list[str],
                   query_fields: list[str]) -> dict[str, Any]:
        from azure.ai.documentintelligence.aio import DocumentIntelligenceClient

        endpoint = self.options.endpoint.rstrip("/")
        kwargs: dict[str, Any] = {"retry_total": self.options.retries}
        if self.transport is not None:
            kwargs["transport"] = self.transport()
        async with DocumentIntelligenceClient(endpoint, self._credential(), api_version=API_VERSION,
                                              **kwargs) as client:
            polling = _backoff_polling(self.options.poll_interval_s, self.options.poll_max_s,
                                       path_format_arguments={"endpoint": endpoint})
            poller = await client.begin_analyze_document(
                model, data, pages=pages, features=features or None, query_fields=query_fields or None,
                polling=polling)
            result = await poller.result()
        return result.as_dict()

    @staticmethod
    def _classify(exc: Exception, name: str) -> dict[str, Any] | None:
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

        if isinstance(exc, ServiceRequestError):
            return _error("azure_unreachable", f"Azure Document Intelligence could not be reached ({exc}).", name)
        if isinstance(exc, ClientAuthenticationError) or getattr(exc, "status_code", None) in (401, 403):
            return _error("azure_auth", "Azure Document Intelligence refused our credentials: check AZURE_DI_KEY "
                          "(or the identity's role) and AZURE_DI_ENDPOINT.", name)
        if not isinstance(exc, HttpResponseError):
            return None
        code, message = _service_error(exc)
        status = getattr(exc, "status_code", None)
        if status == 429:
            return _error("azure_throttled", "Azure Document Intelligence is over its rate limit and still was "
                          "after the retries; the invoice can be retried later.", name)
        if status is not None and status >= 500 and code != "InvalidContent":
            return _error("azure_unavailable", f"Azure Document Intelligence had a server error ({status}).", name)
        return _error("azure_failed", f"Azure Document Intelligence could not analyse the file: {message}"
                      + (f" ({code})" if code else ""), name)

    async def close(self) -> None:
        close = getattr(self.credential, "close", None)
        if close is not None and asyncio.iscoroutinefunction(close):
            await close()
