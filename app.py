"""Composition root: settings -> store -> jobs -> review service -> bot -> one aiohttp app.

``python app.py`` serves, on HOST:PORT (127.0.0.1:3978 by default):
  /api/messages   the Bot Framework endpoint (Teams, or the Microsoft 365 Agents Playground locally)
  /healthz        liveness + database check
  /               the upload page; /api/invoices the REST API behind it
Everything else (SQLite file, originals) lives under DATA_DIR. See README.md for settings.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import jwt
import requests
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bot/ and cards/ live beside this file

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from sqlalchemy import text

from bot.handler import InvoiceBot
from bot.proactive import CardKeeper
from invoice_capture.config import Settings
from invoice_capture.extraction.pool import ExtractorPool
from invoice_capture.extraction.service_chain import service_extractor
from invoice_capture.ingest.fetch import parse_hosts
from invoice_capture.ingest.graph.webhook import GraphWebhook
from invoice_capture.ingest.rest import MAX_REQUEST, RestApi
from invoice_capture.jobs import Jobs
from invoice_capture.review.policy import PolicyBook
from invoice_capture.review.service import ReviewService
from invoice_capture.store.blobs import LocalBlobStore
from invoice_capture.store.db import Database

log = logging.getLogger("invoice_capture.app")

SERVICE = web.AppKey("service", ReviewService)
BOT = web.AppKey("bot", InvoiceBot)
SETTINGS = web.AppKey("settings", Settings)


class _BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, s: Settings) -> None:
        self.APP_ID = s.app_id
        self.APP_PASSWORD = s.app_password
        self.APP_TYPE = s.app_type
        self.APP_TENANTID = s.app_tenant_id


def build_app(settings: Settings | None = None, *, extractor: Any = None, graph_clients: Any = None) -> web.Application:
    """The whole service as an aiohttp app; start-up (migrations, jobs, resume) runs in on_startup.
    ``graph_clients`` (tenant id -> GraphClient) replaces the app-only credentials, for tests against a fake Graph."""
    s = settings or Settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(s.db_url)
    jobs = Jobs(s.jobs_broker, concurrency=max(1, s.extract_workers))
    policies = PolicyBook.load(s.policy_path)  # a broken policy file stops the start, loudly
    pool = service_extractor(s, db, extractor or ExtractorPool(s.extract_workers, timeout_s=s.extract_timeout_s),
                             policies)
    service = ReviewService(db, LocalBlobStore(s.blob_dir), jobs, pool, role_map=s.role_map(), policies=policies)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(s)))
    bot = InvoiceBot(service, app_id=s.app_id, default_tenant=s.default_tenant,
                     download_hosts=parse_hosts(s.download_hosts),
                     token=_token_provider(s))
    bot.adapter = adapter
    keeper = CardKeeper(bot)
    service.listeners.append(keeper)
    watch = _graph_watch(s, db, service, keeper, graph_clients)
    bot.graph = watch
    if watch is not None:
        service.refetch = watch.refetch

    async def on_error(ctx: TurnContext, error: Exception) -> None:
        log.exception("unhandled error in a turn", exc_info=error)
        if ctx.activity.type == "message":
            await ctx.send_activity("Something went wrong on my side; it has been logged. Please try again.")

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.StreamResponse:
        try:
            response = await adapter.process(request, bot)
        except jwt.PyJWTError as exc:  # a malformed or forged token is an auth failure, not a server error
            log.warning("refused a request to /api/messages: %s", exc)
            raise web.HTTPUnauthorized() from exc
        except requests.RequestException as exc:  # the signing keys could not be fetched: nothing is verified
            log.error("cannot verify /api/messages tokens: Bot Framework signing keys unreachable (%s)", exc)
            raise web.HTTPUnauthorized() from exc
        return response if response is not None else web.Response(status=201)

    async def healthz(_request: web.Request) -> web.Response:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
        return web.json_response({"status": "ok", "database": db.engine.dialect.name, "jobs": jobs.url.split(":")[0],
                                  "auth": "on" if s.auth_enabled else "off"})

    async def startup(_app: web.Application) -> None:
        if not s.auth_enabled:
            log.warning("*** AUTH IS OFF: no MicrosoftAppId is set, so /api/messages accepts unsigned requests. "
                        "Fine for the Agents Playground on 127.0.0.1; set MicrosoftAppId/MicrosoftAppPassword "
                        "before exposing this service. ***")
        if s.rest_api_open:
            log.warning("*** No API_KEY is set: the upload page and /api/invoices are open to anyone who can reach "
                        "%s:%s. ***", s.host, s.port)
        await db.migrate()
        await jobs.start()
        if hasattr(pool, "warm_up"):
            pool.warm_up()
        await service.resume()
        app[REMINDERS] = asyncio.create_task(_reminder_loop(service, s.reminder_interval_s))
        if watch is not None:
            await watch.start()
        log.info("invoice-capture ready on http://%s:%s (database %s, jobs %s)", s.host, s.port,
                 db.engine.dialect.name, jobs.url.split(":")[0])

    async def cleanup(_app: web.Application) -> None:
        loop_task = app.get(REMINDERS)
        if loop_task is not None:
            loop_task.cancel()
        if watch is not None:
            await watch.stop()
        await bot.idle()
        await jobs.stop()
        if bot._http is not None:
            await bot._http.close()
        if hasattr(pool, "close"):
            pool.close()
        await db.close()

    app = web.Application(client_max_size=MAX_REQUEST)
    app[SETTINGS], app[SERVICE], app[BOT], app[GRAPH] = s, service, bot, watch
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.add_routes(GraphWebhook(watch).routes())
    app.add_routes(RestApi.from_settings(service, s).routes())
    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app


REMINDERS = web.AppKey("reminders", asyncio.Task)
GRAPH = web.AppKey("graph", object)


def _graph_watch(s: Settings, db: Database, service: ReviewService, keeper: CardKeeper, clients: Any) -> Any:
    """The Graph sources' watcher, when Graph is configured (GRAPH_CLIENT_ID) or a test supplies clients."""
    if clients is None and not s.graph_enabled:
        return None
    from invoice_capture.ingest.graph.client import clients_for
    from invoice_capture.ingest.graph.watch import GraphWatch

    if not s.graph_public_url:
        log.error("GRAPH_PUBLIC_URL is not set: Graph cannot send change notifications, so SharePoint folders and "
                  "mailboxes are only polled (every GRAPH_RENEW_INTERVAL seconds)")
    clients = clients or clients_for(s.graph_client_id, s.graph_client_secret, default_tenant=s.graph_tenant_id,
                                     base_url=s.graph_base_url)
    return GraphWatch(db, service, clients, public_url=s.graph_public_url, alert=keeper.tell_admins,
                      renew_interval_s=s.graph_renew_interval_s)


async def _reminder_loop(service: ReviewService, every_s: float) -> None:
    """Remind approvers (then managers) of escalations that waited longer than the policy allows."""
    while True:
        try:
            await service.remind()
        except Exception:  # a failed round is logged and retried next time; the loop must not die
            log.exception("reminder round failed")
        await asyncio.sleep(every_s)


def _token_provider(s: Settings) -> Any:
    """The bot's own token, for pasted images on the Bot Framework attachment service (None when auth is off)."""
    if not s.auth_enabled:
        return None
    from botframework.connector.auth import MicrosoftAppCredentials

    creds = MicrosoftAppCredentials(s.app_id, s.app_password, channel_auth_tenant=s.app_tenant_id or None)

    async def token() -> str | None:
        return await asyncio.to_thread(creds.get_access_token)

    return token


PLAYGROUND = Path(__file__).resolve().parent / "node_modules" / ".bin" / "agentsplayground"
PLAYGROUND_PORT = 56150


def with_playground(app: web.Application, s: Settings) -> None:
    """Also run the Microsoft 365 Agents Playground (a local Teams-like chat) pointed at this service, so
    `make run` gives a new user a chat to try the bot in; it is stopped with the service."""
    import os
    import signal
    import subprocess

    async def start(_app: web.Application) -> None:
        if not PLAYGROUND.exists():
            log.warning("Agents Playground not installed (run `npm ci`); starting without it")
            return
        env = {**os.environ, "APPLICATION_INSIGHTS_NO_STATSBEAT": "true", "BROWSER": "true",
               "TEAMSAPPTESTER_BROWSER": "none", "M365_AGENTS_PLAYGROUND_ENABLE_EVENTS_RECORDING": "false",
               "M365_AGENTS_PLAYGROUND_LOGFILE": str((s.data_dir / "playground.log").resolve())}
        proc = subprocess.Popen(
            [str(PLAYGROUND), "-e", f"http://{s.host}:{s.port}/api/messages", "-c", "msteams",
             "-p", str(PLAYGROUND_PORT), "--disable-telemetry"], cwd=PLAYGROUND.parents[2], env=env,
            stdin=subprocess.DEVNULL, start_new_session=True)
        app[PLAYGROUND_PROC] = proc
        log.info("Agents Playground (chat as Ana Clerk) on http://localhost:%d - upload page on http://%s:%s/",
                 PLAYGROUND_PORT, s.host, s.port)

    async def stop(_app: web.Application) -> None:
        proc = app.get(PLAYGROUND_PROC)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)


PLAYGROUND_PROC = web.AppKey("playground", object)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="invoice-capture service")
    parser.add_argument("--playground", action="store_true", help="also start the Agents Playground chat")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    s = Settings()
    app = build_app(s)
    if args.playground:
        with_playground(app, s)
    web.run_app(app, host=s.host, port=s.port, print=None)


if __name__ == "__main__":
    main()
