"""Fixtures for end-to-end tests: Chromium, a started playground, an opened chat page, a file server.

Missing tools (Debian chromium, node_modules from `npm ci`, node) skip the tests on a developer machine and fail
them in CI (CI=true), so CI can never go green by silently not running them.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.conftest import unavailable
from tests.e2e.playground import (
    ChatPage,
    Playground,
    launch_chromium,
    missing_tools,
    new_browser_context,
)
from tests.fakes.files import FileServer

StartPlayground = Callable[..., Awaitable[Playground]]
OpenChat = Callable[[Playground], Awaitable[ChatPage]]


def require_e2e_tools() -> None:
    """Skip (developer machine) or fail (CI=true) when Chromium or the playground is not installed."""
    missing = missing_tools()
    if not missing:
        return
    unavailable("end-to-end tools missing: " + "; ".join(missing))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Remember each phase's outcome on the test, so fixtures can save evidence only when it failed."""
    report = yield
    setattr(item, f"e2e_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "e2e_call", None)
    return report is None or report.failed


@pytest.fixture
def e2e_artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a test keeps its screenshots; failure dumps go here too ($E2E_ARTIFACTS overrides, for CI upload)."""
    root = os.environ.get("E2E_ARTIFACTS")
    folder = Path(root) / re.sub(r"[^\w.-]+", "_", request.node.nodeid) if root else tmp_path / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium per test (a second one would not fit next to the bot on a 2-core machine)."""
    require_e2e_tools()
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def start_playground(request: pytest.FixtureRequest, e2e_artifacts: Path) -> AsyncIterator[StartPlayground]:
    """`await start_playground(bot_url, current_user=None)`: a running playground, stopped after the test."""
    require_e2e_tools()
    started: list[Playground] = []

    async def start(bot_endpoint: str, **options: Any) -> Playground:
        options.setdefault("work_dir", e2e_artifacts / f"playground-{len(started)}")
        playground = Playground(bot_endpoint, **options)
        started.append(playground)
        return await playground.start()

    try:
        yield start
    finally:
        for playground in reversed(started):
            await playground.stop()
            if _failed(request):  # the log is already in the artifacts folder; point the reader at it
                print(f"playground log: {playground.log_path}")


@pytest.fixture
async def open_chat(request: pytest.FixtureRequest, browser: Browser, e2e_artifacts: Path) -> AsyncIterator[OpenChat]:
    """`await open_chat(playground)`: a ChatPage connected to the bot, in a fresh browser context."""
    pages: list[ChatPage] = []
    contexts = []

    async def open_(playground: Playground) -> ChatPage:
        context = await new_browser_context(browser)
        contexts.append(context)
        chat = await ChatPage.open(context, playground)
        pages.append(chat)
        return chat

    try:
        yield open_
    finally:
        if _failed(request):
            for number, chat in enumerate(pages):
                await chat.dump(e2e_artifacts / f"failure-{number}")
            print(f"end-to-end evidence: {e2e_artifacts}")
        for context in contexts:
            await context.close()


@pytest.fixture
async def file_server() -> AsyncIterator[FileServer]:
    """An HTTP server on 127.0.0.1 for file messages' downloadUrl."""
    async with FileServer() as server:
        yield server
