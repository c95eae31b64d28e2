"""A local stand-in for the links Teams puts in a file message (``content.downloadUrl``): plain GETs on 127.0.0.1.

Used by the unit, integration and end-to-end tests and the latency benchmark, so all of them download files the
way the bot does in Teams.
"""

from __future__ import annotations

import asyncio
from typing import Self
from urllib.parse import quote

from aiohttp import web


class FileServer:
    """Serves test files on 127.0.0.1 the way Teams serves a file message's `downloadUrl`: a plain GET, no auth.

    A file added with `gate=True` is held until `release(name)`, so a test can see the bot's "reading" state before
    the download finishes, without sleeping.
    """

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        self._gates: dict[str, asyncio.Event] = {}
        self.requests: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def add(self, name: str, data: bytes, *, content_type: str = "application/pdf", gate: bool = False) -> str:
        self._files[name] = (data, content_type)
        if gate:
            self._gates[name] = asyncio.Event()
        return self.url(name)

    def release(self, name: str) -> None:
        self._gates[name].set()

    def url(self, name: str) -> str:
        if self.port is None:
            raise RuntimeError("the file server is not running")
        return f"http://127.0.0.1:{self.port}/files/{quote(name)}"

    async def _serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests.append(name)
        if name not in self._files:
            raise web.HTTPNotFound()
        if name in self._gates:
            await self._gates[name].wait()
        data, content_type = self._files[name]
        return web.Response(body=data, content_type=content_type)

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_get("/files/{name}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for gate in self._gates.values():
            gate.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
