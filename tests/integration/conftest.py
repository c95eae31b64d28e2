"""Fixtures for the service over real HTTP: the aiohttp app on a real port, a fake Bot Connector for replies,
and both databases (SQLite file; PostgreSQL on 127.0.0.1:5432, required when CI=true)."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import build_app
from invoice_capture.config import Settings
from tests.conftest import unavailable
from tests.fakes.connector import FakeConnector

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test")


def _pg_up() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, up: bool) -> None:
    if not up:
        unavailable(f"{name} not reachable", ci_reason=f"{name} is required in CI and is not reachable")


@contextlib.asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    need_service("PostgreSQL on 127.0.0.1:5432", _pg_up())
    name = f"ic_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ic.db'}"
        return
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fc = await FakeConnector().start()
    yield fc
    await fc.close()


def settings_for(tmp_path: Path, db_url: str = "", **kw: Any) -> Settings:
    base: dict[str, Any] = {"DATA_DIR": tmp_path / "data", "DATABASE_URL": db_url, "MicrosoftAppId": "",
                            "API_KEY": "", "ROLES": "bo-oid=approver,cy-oid=manager", "JOBS_BROKER": "memory"}
    return Settings(_env_file=None, **{**base, **kw})


@pytest.fixture
async def service_client(tmp_path: Path, db_url: str, extractor: Any) -> AsyncIterator[TestClient]:
    app = build_app(settings_for(tmp_path, db_url), extractor=extractor)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()
