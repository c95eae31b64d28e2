"""The bot's activity handler: files in, text commands, card actions (Universal Actions), installs.

A file message is answered at once with a "Reading…" card; the download and the hand-over to the service run
in the background so the Bot Framework's request returns in milliseconds, and the card is replaced in place
(``update_activity``) by the review card when extraction ends (see bot/proactive.py). Card clicks arrive as
``adaptiveCard/action`` invokes and are answered with the card the clicker should now see.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from botbuilder.core import ActivityHandler, BotAdapter, InvokeResponse, TurnContext
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationReference,
)

from bot import commands, files
from bot.render import CardContext, card_activity, review_card_for
from cards import help as help_cards
from cards import policy as policy_cards
from cards import problems, progress, review
from cards import reports as report_cards
from cards import sources as source_cards
from invoice_capture import reports
from invoice_capture.review.policy import to_yaml
from invoice_capture.review.service import ReviewService
from invoice_capture.review.workflow import Actor, Refused, may_act

log = logging.getLogger(__name__)

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def tenant_of(activity: Activity, default: str) -> str:
    """The tenant comes from the activity (channelData.tenant.id), never from anything a card sends back."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id") or (activity.conversation.tenant_id if activity.conversation
                                                       else None)
    return str(tenant or default)


def user_key(account: ChannelAccount | None) -> tuple[str, str, str]:
    """(stable id, display name, channel id): the Entra object id when Teams gives one."""
    if account is None:
        return "unknown", "Unknown", ""
    return (account.aad_object_id or account.id or "unknown"), (account.name or account.id or ""), account.id or ""


def card_response(card: dict[str, Any]) -> InvokeResponse:
    return InvokeResponse(status=200, body=AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD,
                                                                      value=card))


def message_response(text: str) -> InvokeResponse:
    """A refusal, as a small card in place of the clicked one (botbuilder 4.17 cannot serialise the
    message-type invoke response, whose value is a string)."""
    return card_response(problems.notice_card(text, title="That did not work"))


class InvoiceBot(ActivityHandler):
    def __init__(self, service: ReviewService, *, app_id: str = "", default_tenant: str = "local",
                 http: aiohttp.ClientSession | None = None, token: files.TokenProvider | None = None,
                 download_hosts: frozenset[str] = frozenset(), graph: Any = None) -> None:
        self.service = service
        #: The Graph watcher (invoice_capture.ingest.graph.watch.GraphWatch) when Graph is configured: fetches
        #: files shared in channels and group chats, and lists the tenant's sources.
        self.graph = graph
        self.app_id = app_id
        self.default_tenant = default_tenant
        self._http = http
        self._token = token
        self._download_hosts = download_hosts
        self._background: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------------------------------ plumbing

    async def _actor(self, ctx: TurnContext) -> tuple[str, Actor]:
        tenant = tenant_of(ctx.activity, self.default_tenant)
        uid, name, channel_id = user_key(ctx.activity.from_property)
        return tenant, await self.service.actor(tenant, uid, name, channel_id)

    async def _remember_conversation(self, ctx: TurnContext, tenant: str, user_id: str) -> None:
        ref = TurnContext.get_conversation_reference(ctx.activity)
        conv = ctx.activity.conversation
        ctype = (conv.conversation_type if conv else None) or "personal"
        await self.service.remember_conversation(tenant, ref.conversation.id, ref.serialize(), conversation_type=ctype,
                                                 user_external_id=user_id if ctype == "personal" else "")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def idle(self) -> None:
        """Wait until downloads, in-process extraction jobs and card updates have all finished (tests, shutdown)."""
        while True:
            if self._background:
                await asyncio.gather(*list(self._background), return_exceptions=True)
                continue
            await self.service.jobs.idle()
            await self.service.idle()
            if not self._background and not self.service.busy() and not self.service.jobs.busy():
                return

    # ------------------------------------------------------------------------------------------ messages

    async def on_message_activity(self, ctx: TurnContext) -> None:
        tenant, actor = await self._actor(ctx)
        await self._remember_conversation(ctx, tenant, actor.id)
        act = ctx.activity
        if isinstance(act.value, dict) and act.value.get("action") and not act.text:
            return  # an Action.Submit from an old client: ignore (we use Action.Execute)
        incoming = files.incoming_files(act)
        if incoming:
            for f in incoming:
                await self._start_file(ctx, tenant, actor, f)
            return
        shared = files.shared_files(act)
        if shared and self.graph is not None:
            for f in shared:
                await self._start_file(ctx, tenant, actor, f)
            return
        unreachable = files.unreachable_files(act)
        if unreachable:
            await ctx.send_activity(card_activity(problems.notice_card(
                "Teams does not send files shared in a group chat or channel to bots, only a link. To have "
                f"{', '.join(unreachable)} read: send it to me in a 1:1 chat, or ask an admin to connect this "
                "team's SharePoint through Microsoft Graph (Files.Read.All), after which I fetch shared files "
                "myself.", title="I can't reach that file")))
            return
        await self._command(ctx, tenant, actor, commands.parse(act.text or ""))

    async def _start_file(self, ctx: TurnContext, tenant: str, actor: Actor, f: files.IncomingFile) -> None:
        sent = await ctx.send_activity(card_activity(progress.reading_card(f.name)))
        ref = TurnContext.get_conversation_reference(ctx.activity)
        card_ref = {"conversation_id": ref.conversation.id, "activity_id": sent.id if sent else "",
                    "reference": ref.serialize(), "kind": "review", "viewer_id": actor.id}
        self._spawn(self._fetch_and_receive(tenant, actor, f, card_ref))

    async def _fetch_and_receive(self, tenant: str, actor: Actor, f: files.IncomingFile,
                                 card_ref: dict[str, Any]) -> None:
        try:
            if f.via_graph:
                data = await self._fetch_shared(tenant, f)
            else:
                if self._http is None:
                    self._http = aiohttp.ClientSession()
                data = await files.download(self._http, f, token=self._token, extra_hosts=self._download_hosts)
        except files.DownloadError as exc:
            await self.replace_card(card_ref, problems.problem_card(f.name, str(exc)))
            return
        source_ref = {"channel": "msteams", "conversation_id": card_ref["conversation_id"], "url": f.url[:500]}
        if f.via_graph:
            source_ref["web_url"] = f.url[:1000]
        received = await self.service.receive(tenant, actor, f.name, data, source="teams", source_ref=source_ref,
                                              card=card_ref)
        view = received.invoice
        if received.duplicate:
            notice = (f"You sent this file before ({view['filename']}, received "
                      f"{view['received_at'][:10]}); here is that invoice, not a new one.")
            await self.replace_card(card_ref, await review_card_for(self.service, view, actor, notice))
        elif view["state"] == "failed":
            await self.replace_card(card_ref, self.problem_for(view))

    async def _fetch_shared(self, tenant: str, f: files.IncomingFile) -> bytes:
        """A file shared in a channel or group chat, through Graph (the message carries only its SharePoint link)."""
        from invoice_capture.ingest.graph.client import GraphError

        try:
            _name, data = await self.graph.fetch_shared(tenant, f.url)
        except GraphError as exc:
            if exc.gone:
                raise files.DownloadError(f"{f.name}: the file is gone from SharePoint (deleted or moved). Share "
                                          "it again.") from exc
            if exc.credentials:
                raise files.DownloadError(f"{f.name}: I am not allowed to read it (Microsoft Graph said "
                                          f"{exc.status}). An admin must grant the app Files.Read.All.") from exc
            raise files.DownloadError(f"{f.name}: SharePoint did not give me the file ({exc.message}). Try again "
                                      "in a minute.") from exc
        return data

    @staticmethod
    def problem_for(view: dict[str, Any]) -> dict[str, Any]:
        err = view.get("error") or {}
        return problems.problem_card(view["filename"], err.get("message") or "This file could not be read.",
                                     what_to_do="The original is kept. Fix the file and send it again, or press "
                                                "Retry.", invoice_id=view["id"], version=view["version"])

    async def card_for(self, view: dict[str, Any], viewer: Actor, notice: str | None = None,
                       context: CardContext | None = None) -> dict[str, Any]:
        if view["state"] == "failed":
            return self.problem_for(view)
        if view["state"] in ("received", "extracting"):
            return progress.reading_card(view["filename"], pages=view.get("pages"))
        return await review_card_for(self.service, view, viewer, notice, context)

    async def replace_card(self, card_ref: dict[str, Any], card: dict[str, Any]) -> None:
        """Replace a posted card in place, from outside the turn that posted it."""
        reference = ConversationReference().deserialize(card_ref["reference"])

        async def update(ctx: TurnContext) -> None:
            activity = card_activity(card)
            activity.id = card_ref["activity_id"]
            await ctx.update_activity(activity)

        await self.adapter.continue_conversation(reference, update, self.app_id or None)

    async def send_card(self, reference: dict[str, Any], card: dict[str, Any]) -> str:
        """Post a new card into a stored conversation; returns the new activity's id."""
        ref = ConversationReference().deserialize(reference)
        sent: dict[str, str] = {}

        async def post(ctx: TurnContext) -> None:
            resp = await ctx.send_activity(card_activity(card))
            sent["id"] = resp.id if resp else ""

        await self.adapter.continue_conversation(ref, post, self.app_id or None)
        return sent.get("id", "")

    adapter: BotAdapter  # set by the composition root (app.py) or the test

    # ------------------------------------------------------------------------------------------ commands

    async def _command(self, ctx: TurnContext, tenant: str, actor: Actor, cmd: commands.Command) -> None:
        db = self.service.db
        if cmd.name == "status":
            card = report_cards.status_card(await reports.status(db, tenant))
        elif cmd.name == "pending":
            rows, more = await reports.pending(db, tenant, cmd.arg or None)
            card = report_cards.pending_card(rows, vendor=cmd.arg or None, more=more)
        elif cmd.name == "summary":
            card = report_cards.summary_card(await reports.summary(db, tenant, cmd.arg))
        elif cmd.name == "show":
            inv = await reports.find_by_number(db, tenant, cmd.arg)
            view = await self.service.view(tenant, inv.id) if inv else None
            if view is None:
                card = problems.notice_card(f"No invoice numbered {cmd.arg!r} here. Try `pending` to see what is "
                                            "waiting.", title="Not found")
            else:
                card = await self.card_for(view, actor)
        elif cmd.name == "policy":
            card = self._policy_card(tenant, actor)
        elif cmd.name == "sources":
            card = await self._sources_card(ctx, tenant, actor)
        else:
            card = help_cards.help_card(list(commands.COMMANDS))
        await ctx.send_activity(card_activity(card))

    async def _sources_card(self, ctx: TurnContext, tenant: str, actor: Actor) -> dict[str, Any]:
        if actor.role != "admin":
            return problems.notice_card("Only admins can see the invoice sources.", title="Not for your role")
        here = ctx.activity.conversation.id if ctx.activity.conversation else ""
        listed = await self.graph.sources(tenant) if self.graph is not None else []
        return source_cards.sources_card(listed, conversation_id=here, graph_on=self.graph is not None)

    def _policy_card(self, tenant: str, actor: Actor) -> dict[str, Any]:
        if actor.role not in ("admin", "manager"):
            return problems.notice_card("Only admins and managers can see the approval policy. Ask an admin if you "
                                        "need to know a limit.", title="Not for your role")
        book = self.service.policies
        current = self.service.policy(tenant)
        return policy_cards.policy_card(policy_cards.summary_lines(current.model_dump()), to_yaml(current),
                                        source=book.source(), error=book.error(), tenant=tenant)

    # ------------------------------------------------------------------------------------------ card actions

    async def on_invoke_activity(self, ctx: TurnContext) -> InvokeResponse:
        if ctx.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(ctx)
        value = ctx.activity.value if isinstance(ctx.activity.value, dict) else {}
        action = value.get("action") or {}
        verb = str(action.get("verb") or "")
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        invoice_id = str(data.get("invoice_id") or "")
        if not invoice_id:
            return message_response("This card has no invoice on it.")
        tenant, actor = await self._actor(ctx)
        version = data.get("version")
        try:
            version = int(version) if version is not None and verb != "refresh" else None
            result = await self.service.act(tenant, invoice_id, verb, version, actor, data)
        except Refused as exc:
            if exc.status == 404:
                return message_response(exc.message)
            view = await self.service.view(tenant, invoice_id)
            if view is None:
                return message_response(exc.message)
            card = await self.card_for(view, actor, notice=exc.message)
            return card_response(card)
        except (TypeError, ValueError):
            return message_response("This card is damaged; use `show <invoice number>` for a fresh one.")
        view = result.invoice
        if verb == "edit":
            why = may_act("save", view["state"], actor, escalated_to=(view.get("escalated_to") or {}).get("id", ""))
            if why is None:
                return card_response(review.edit_card(view))
            return card_response(await self.card_for(view, actor, notice=why))
        card = await self.card_for(view, actor, notice=result.notice)
        return card_response(card)

    # ------------------------------------------------------------------------------------------ installs

    async def on_installation_update(self, ctx: TurnContext) -> None:
        tenant, actor = await self._actor(ctx)
        await self._remember_conversation(ctx, tenant, actor.id)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], ctx: TurnContext) -> None:
        tenant, actor = await self._actor(ctx)
        await self._remember_conversation(ctx, tenant, actor.id)
        bot_id = ctx.activity.recipient.id if ctx.activity.recipient else None
        if any(m.id == bot_id for m in members_added):
            await ctx.send_activity(card_activity(help_cards.help_card(list(commands.COMMANDS))))
