"""Drive the Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground 0.2.28) in headless Chromium.

The playground is the closest thing to Teams that runs offline: it sends real `msteams` activities to the bot and
renders the bot's Adaptive Cards with the Teams renderer. This module starts it, opens it in Chromium through PyPI
playwright (Debian's chromium, never `playwright install`) and wraps the UI in a few helpers, so end-to-end tests
read like what a clerk does. Selectors and the behaviour they rely on are documented in tests/e2e/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp
from playwright.async_api import Browser, BrowserContext, Locator, Page, Playwright, expect

from tests.badfiles import raw_pdf

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPO_ROOT / ".m365agentsplayground.yml"
PLAYGROUND_BIN = REPO_ROOT / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))

# Headless Debian chromium needs the first six; the resolver rule makes every host but localhost unresolvable, so
# the page cannot reach the internet (it asks the Office CDN for Segoe UI fonts) and fails fast instead of waiting.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
)

# Cards take 10-20 s on a loaded 2-core machine; a timeout is a failure, never a pause, so be generous.
CARD_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 60_000
START_TIMEOUT_S = 60.0

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"

# Selectors (see README "Selectors"): the playground's DOM has few ids, so these lean on ARIA and renderer classes.
EDITOR = '[data-lexical-editor="true"]'
BOT_MESSAGE = ".fai-OutputCard"
TOP_LEVEL_CARD = f"{BOT_MESSAGE} .ac-adaptiveCard:not(.ac-adaptiveCard *)"
LOG_PANEL = 'div[contenteditable="true"][spellcheck="false"]'
MENTION_MENU = "#typeahead-menu"
CARD_LABEL = "label.ac-richTextBlock"

_LISTENING = re.compile(r"Listening on (\d+)")


class PlaygroundError(RuntimeError):
    """The playground did not start, or the page never connected to the bot."""


def free_port() -> int:
    """A port that was free a moment ago; the playground moves to another one itself if it gets taken."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing_tools() -> list[str]:
    """What is missing to run the playground in Chromium, as human-readable reasons (empty: all there)."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)")
    if not PLAYGROUND_BIN.exists():
        missing.append(f"no {PLAYGROUND_BIN.relative_to(REPO_ROOT)} (run `npm ci` in the repo root)")
    if shutil.which("node") is None:
        missing.append("no `node` on PATH (the playground is a Node.js program)")
    return missing


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------------------------------------------------
# The fixed Teams context from .m365agentsplayground.yml


@dataclass(frozen=True)
class TeamsUser:
    """One person in the playground's tenant, as the activities carry them."""

    id: str
    name: str
    aad_object_id: str
    upn: str

    def account(self) -> dict[str, str]:
        """The `from` account the playground sends for this user on messages and invokes."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


def _user(raw: Mapping[str, Any]) -> TeamsUser:
    return TeamsUser(raw["id"], raw["name"], raw["aadObjectId"], raw["userPrincipleName"])


@dataclass(frozen=True)
class TeamsContext:
    """The playground config file, read once so tests can assert on the ids the bot will see."""

    raw: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path = CONFIG_FILE) -> TeamsContext:
        import yaml  # the playground reads YAML; PyYAML is in the lock (see README)

        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    @property
    def tenant_id(self) -> str:
        return str(self.raw["tenantId"])

    @property
    def bot(self) -> dict[str, str]:
        return {"id": self.raw["bot"]["id"], "name": self.raw["bot"]["name"]}

    @property
    def current_user(self) -> TeamsUser:
        return _user(self.raw["currentUser"])

    @property
    def users(self) -> tuple[TeamsUser, ...]:
        """Everyone: the current user first, then the five others."""
        return (self.current_user, *(_user(u) for u in self.raw["users"]))

    def user(self, name_or_id: str) -> TeamsUser:
        for user in self.users:
            if name_or_id in (user.name, user.id, user.aad_object_id):
                return user
        raise KeyError(f"no user {name_or_id!r} in the playground config")

    @property
    def personal_chat_id(self) -> str:
        return str(self.raw["personalChat"]["id"])

    @property
    def group_chat(self) -> dict[str, str]:
        return {"id": self.raw["groupChat"]["id"], "name": self.raw["groupChat"]["name"]}

    @property
    def team(self) -> Mapping[str, Any]:
        return self.raw["team"]

    def chat_names(self) -> list[str]:
        """The conversation list's entries, as the UI labels them (aria-label of each tree item)."""
        team = self.team["name"]
        channels = [f"{team} - General"] + [f"{team} - {c['name']}" for c in self.team["channels"]]
        return ["Personal Chat", self.group_chat["name"], *channels]

    def conversation(self, chat: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(conversation, channelData) the playground puts on activities sent in `chat` (a chat_names() entry)."""
        tenant = {"tenant": {"id": self.tenant_id}}
        if chat == "Personal Chat":
            return {"id": self.personal_chat_id, "conversationType": "personal", "tenantId": self.tenant_id}, tenant
        if chat == self.group_chat["name"]:
            conv = {"id": self.group_chat["id"], "conversationType": "groupChat", "isGroup": True}
            return {**conv, "tenantId": self.tenant_id}, tenant
        team = self.team
        channels = {f"{team['name']} - General": team["id"]}
        channels.update({f"{team['name']} - {c['name']}": c["id"] for c in team["channels"]})
        if chat not in channels:
            raise KeyError(f"no chat {chat!r}; the playground has {self.chat_names()}")
        channel_id = channels[chat]
        conversation = {"id": channel_id, "conversationType": "channel", "isGroup": True, "tenantId": self.tenant_id}
        channel_data = {
            **tenant,
            "teamsChannelId": channel_id,
            "teamsTeamId": team["id"],
            "team": {"id": team["id"], "name": team["name"], "aadGroupId": team["aadGroupId"]},
            "channel": {"id": channel_id},
        }
        return conversation, channel_data

    def as_user(self, name: str) -> TeamsContext:
        """The same tenant seen by another user: the playground has no user switch, only `currentUser`."""
        me = self.user(name)
        raw = json.loads(json.dumps(self.raw))
        everyone = [raw["currentUser"], *raw["users"]]
        raw["currentUser"] = next(u for u in everyone if u["id"] == me.id)
        raw["users"] = [u for u in everyone if u["id"] != me.id]
        raw["personalChat"] = {"id": f"a:personal-chat-{_slug(me.name)}"}
        return TeamsContext(raw)

    def write(self, path: Path) -> Path:
        """Write as a config file (JSON is valid YAML, and exact)."""
        path.write_text(json.dumps(self.raw, indent=2), encoding="utf-8")
        return path


# --------------------------------------------------------------------------------------------------------------------
# The playground process

# What keeps the playground quiet and offline; the AUTH_* and recording variables would make it call Entra ID or
# write ./devTools/ in the repo, so they are removed from the inherited environment.
_PLAYGROUND_ENV = {
    "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
    "BROWSER": "true",
    "TEAMSAPPTESTER_BROWSER": "none",
    "M365_AGENTS_PLAYGROUND_ENABLE_EVENTS_RECORDING": "false",
}
_PLAYGROUND_ENV_DROP = (
    "AUTH_CLIENT_ID",
    "AUTH_CLIENT_SECRET",
    "AUTH_TENANT_ID",
    "BOT_ENDPOINT",
    "DEFAULT_CHANNEL_ID",
    "SEND_INSTALLATION_ACTIVITY",
    "TEAMSAPPTESTER_PORT",
    "M365_AGENTS_PLAYGROUND_SERVICE_URL",
    "M365_AGENTS_PLAYGROUND_CONVERSATION_ID",
    "M365_AGENTS_PLAYGROUND_DELIVERY_MODE",
    "M365_AGENTS_PLAYGROUND_TARGET_SDK",
    "M365_AGENTS_PLAYGROUND_RECORDING_FILE",
)


class Playground:
    """One `agentsplayground` process pointed at a bot; `async with Playground(url) as pg: pg.url`."""

    def __init__(
        self,
        bot_endpoint: str,
        *,
        port: int | None = None,
        config: Path = CONFIG_FILE,
        current_user: str | None = None,
        work_dir: Path | None = None,
        channel: str = "msteams",
    ) -> None:
        self.bot_endpoint = bot_endpoint
        self.requested_port = port
        self.channel = channel
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="playground-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.teams = TeamsContext.load(config)
        self.config_path = config
        if current_user is not None and current_user != self.teams.current_user.name:
            self.teams = self.teams.as_user(current_user)
            self.config_path = self.teams.write(self.work_dir / f"playground-{_slug(current_user)}.yml")
        self.log_path = self.work_dir / "playground.log"
        self.port: int | None = None
        self.output: list[str] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """Where the browser opens it (the host the playground itself prints and puts in serviceUrl)."""
        if self.port is None:
            raise PlaygroundError("the playground is not running")
        return f"http://localhost:{self.port}"

    @property
    def service_url(self) -> str:
        """The Bot Connector URL the bot replies to (activity.serviceUrl)."""
        return f"{self.url}/_connector"

    def log_text(self) -> str:
        """The playground's own console output; it writes it to a file, not stdout, when stdout is not a TTY."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _PLAYGROUND_ENV_DROP}
        env.update(_PLAYGROUND_ENV)
        env["M365_AGENTS_PLAYGROUND_LOGFILE"] = str(self.log_path)
        env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] = str(self.config_path)
        local = "localhost,127.0.0.1,::1"
        for key in ("NO_PROXY", "no_proxy"):  # it must reach the bot directly even behind a CI proxy
            env[key] = f"{env[key]},{local}" if env.get(key) else local
        return env

    async def start(self, timeout_s: float = START_TIMEOUT_S) -> Self:
        """Start it and learn its real port from `Listening on N` (it silently moves off a busy port)."""
        port = self.requested_port or free_port()
        args = ["-e", self.bot_endpoint, "-c", self.channel, "-p", str(port), "--disable-telemetry"]
        self._proc = await asyncio.create_subprocess_exec(
            str(PLAYGROUND_BIN),
            *args,
            cwd=REPO_ROOT,
            env=self._env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can end everything it started
        )
        assert self._proc.stdout is not None
        try:
            async with asyncio.timeout(timeout_s):
                while self.port is None:
                    line = await self._proc.stdout.readline()
                    if not line:
                        code = await self._proc.wait()
                        raise PlaygroundError(f"the playground exited ({code}) before listening:\n{self._report()}")
                    self.output.append(line.decode(errors="replace"))
                    if match := _LISTENING.search(self.output[-1]):
                        self.port = int(match.group(1))
            self._drain = asyncio.create_task(self._drain_output())
            await self._check_config()
        except TimeoutError:
            await self.stop()
            raise PlaygroundError(f"the playground did not listen within {timeout_s} s:\n{self._report()}") from None
        except BaseException:
            await self.stop()
            raise
        return self

    async def _check_config(self) -> None:
        """It reports "Listening" before loading the config and exits later on a bad one: ask what it loaded."""
        try:
            async with aiohttp.ClientSession() as session, session.get(f"{self.url}/_internal/v1/config") as response:
                loaded = (await response.json())["config"] if response.status == 200 else None
        except aiohttp.ClientError:  # it already exited
            loaded = None
        if loaded is None:
            raise PlaygroundError(f"the playground did not load {self.config_path}:\n{self._report()}")
        if (loaded["tenantId"], loaded["currentUser"]["id"]) != (self.teams.tenant_id, self.teams.current_user.id):
            raise PlaygroundError(f"the playground loaded another config than {self.config_path}: {loaded}")

    async def _drain_output(self) -> None:
        """Keep reading so a chatty playground can never block on a full pipe."""
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            self.output.append(line.decode(errors="replace"))

    def _report(self) -> str:
        return "stdout:\n" + "".join(self.output) + "\nlog:\n" + self.log_text()[-4000:]

    async def stop(self) -> None:
        """End the whole process group: SIGTERM, then SIGKILL after 10 s."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None
        self.port = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


# --------------------------------------------------------------------------------------------------------------------
# Browser


async def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's headless chromium with the flags it needs in a container."""
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))


async def new_browser_context(browser: Browser) -> BrowserContext:
    """A context with a fixed size, locale and time zone, so screenshots and date inputs are the same everywhere."""
    return await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US", timezone_id="UTC")


class ChatPage:
    """The playground's chat window: type, send a Teams file message, find and operate Adaptive Cards."""

    def __init__(self, page: Page, playground: Playground) -> None:
        self.page = page
        self.playground = playground
        self.teams = playground.teams
        self.chat = "Personal Chat"
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))

    @classmethod
    async def open(cls, context: BrowserContext, playground: Playground, *, timeout_ms: int = PAGE_TIMEOUT_MS) -> Self:
        """Open the playground and wait until it has connected to the bot (the bot must already be listening)."""
        chat = cls(await context.new_page(), playground)
        await chat.page.goto(playground.url, timeout=timeout_ms)
        await chat.page.locator(EDITOR).wait_for(timeout=timeout_ms)
        log = chat.page.locator(LOG_PANEL)
        await expect(log).to_contain_text(re.compile(r"Connected\.|Cannot connect"), timeout=timeout_ms)
        if "Cannot connect" in await log.inner_text():
            raise PlaygroundError(f"the playground cannot reach the bot at {playground.bot_endpoint}")
        return chat

    # ---- conversations and messages

    async def open_chat(self, name: str) -> None:
        """Switch conversation by its list entry: "Personal Chat", the group chat's name, or "Team - Channel"."""
        self.teams.conversation(name)  # fail early on a typo
        item = self.page.get_by_role("treeitem", name=name, exact=True)
        await item.click()
        await self.page.locator(EDITOR).wait_for()
        self.chat = name

    async def send_text(self, text: str, *, mention_bot: bool = False) -> None:
        """Type and send a message; `mention_bot` @mentions the bot first (needed in group chats and channels)."""
        editor = self.page.locator(EDITOR)
        await editor.click()
        if mention_bot:
            bot = self.teams.bot["name"]
            await self.page.keyboard.type("@" + bot[:3])
            # the item's accessible name repeats the name (avatar + text), so match by text
            await self.page.locator(MENTION_MENU).get_by_role("menuitem").filter(has_text=bot).first.click()
            text = " " + text
        await self.page.keyboard.insert_text(text)
        await self.page.keyboard.press("Enter")
        await expect(editor).to_have_text("")

    def activity(self, type_: str, *, user: str | None = None, chat: str | None = None, **fields: Any) -> dict:
        """An activity shaped like the ones the playground sends itself, from `user` (default: current) in `chat`."""
        conversation, channel_data = self.teams.conversation(chat or self.chat)
        sender = self.teams.user(user) if user else self.teams.current_user
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "type": type_,
            "id": str(uuid.uuid4()),
            "timestamp": now,
            "localTimestamp": now,
            "localTimezone": "UTC",
            "channelId": "msteams",
            "serviceUrl": self.playground.service_url,
            "from": sender.account(),
            "recipient": self.teams.bot,
            "conversation": conversation,
            "channelData": channel_data,
            "locale": "en-US",
            "entities": [{"type": "clientInfo", "locale": "en-US", "timezone": "UTC"}],
            **fields,
        }

    async def send_activity(self, activity: Mapping[str, Any]) -> None:
        """Send any activity through "Mock an Activity" > "Custom activity" (a Monaco JSON editor in a dialog)."""
        await self.page.get_by_role("button", name="Mock an Activity").click()
        await self.page.get_by_role("menuitem", name="Custom activity", exact=True).click()
        dialog = self.page.get_by_role("dialog")
        editor = dialog.locator(".monaco-editor").first
        await editor.wait_for()
        await editor.click()
        await self.page.keyboard.press("ControlOrMeta+A")
        await self.page.keyboard.press("Delete")
        # One line, inserted as one input event: Monaco's auto-indent and bracket closing only act on typed keys.
        await self.page.keyboard.insert_text(json.dumps(activity, ensure_ascii=False))
        await dialog.get_by_role("button", name="Send activity").click()
        await dialog.wait_for(state="detached")

    async def send_file_message(
        self,
        name: str,
        download_url: str,
        *,
        text: str = "",
        unique_id: str | None = None,
        file_type: str | None = None,
        user: str | None = None,
        chat: str | None = None,
    ) -> dict:
        """Send what Teams sends when a user drops a file into the chat; returns the activity for assertions.

        The playground has no upload button and does not show this message as a bubble; the bot sees it as real.
        """
        file_type = file_type or (Path(name).suffix.lstrip(".").lower() or "bin")
        attachment = {
            "contentType": FILE_DOWNLOAD_INFO,
            "name": name,
            "contentUrl": download_url,
            "content": {"downloadUrl": download_url, "uniqueId": unique_id or str(uuid.uuid4()), "fileType": file_type},
        }
        activity = self.activity(
            "message", user=user, chat=chat, text=text, textFormat="plain", attachments=[attachment]
        )
        await self.send_activity(activity)
        return activity

    # ---- cards

    async def wait_for_card(self, containing_text: str | re.Pattern[str], timeout: int = CARD_TIMEOUT_MS) -> Locator:
        """The LAST top-level bot card whose text contains `containing_text`, once visible (timeout in ms).

        The locator is lazy: used later, it again means the last such card, which survives React re-renders.
        """
        card = self.page.locator(TOP_LEVEL_CARD).filter(has_text=containing_text).last
        await card.wait_for(state="visible", timeout=timeout)
        return card

    async def wait_for_message(self, containing_text: str | re.Pattern[str], timeout: int = CARD_TIMEOUT_MS) -> Locator:
        """The last bot message (text or card) containing the text, once visible (timeout in ms)."""
        message = self.page.locator(BOT_MESSAGE).filter(has_text=containing_text).last
        await message.wait_for(state="visible", timeout=timeout)
        return message

    def cards(self, containing_text: str | re.Pattern[str] | None = None) -> Locator:
        """All top-level bot cards in the open chat (optionally those containing a text), e.g. to count them."""
        cards = self.page.locator(TOP_LEVEL_CARD)
        return cards if containing_text is None else cards.filter(has_text=containing_text)

    @staticmethod
    async def card_text(card: Locator) -> str:
        """The card's visible text, one line per line, blank lines dropped."""
        text = await card.inner_text()
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())

    async def click_action(self, card: Locator, title: str) -> None:
        """Click a card button by its title; buttons of an opened Action.ShowCard are inside the card too."""
        await card.get_by_role("button", name=title, exact=True).first.click()

    async def _input(self, card: Locator, label_or_id: str) -> Locator:
        """The element behind an input's label (an Input's own `id` is not in the DOM; its label is)."""
        pattern = re.compile(rf"^\s*{re.escape(label_or_id)}\s*\*?\s*$")  # required inputs add " *"
        label = card.locator(CARD_LABEL).filter(has_text=pattern)
        if await label.count():
            target = await label.first.get_attribute("for")
            if target:
                return card.locator(f"[id={_css_string(target)}]")
        for candidate in (
            card.get_by_placeholder(label_or_id, exact=True),
            card.get_by_label(label_or_id, exact=True),
            card.locator(f"[id={_css_string(label_or_id)}], [name={_css_string(label_or_id)}]"),
        ):
            if await candidate.count():
                return candidate.first
        raise LookupError(f"no input labelled {label_or_id!r} in the card")

    async def fill_input(self, card: Locator, label_or_id: str, value: Any) -> None:
        """Set an input the way a user would, by its label: Text, Number, Date, Time, Toggle, ChoiceSet.

        ChoiceSet values are choice TITLES (what the user sees); a list for multi-select. Dates take a date or
        `YYYY-MM-DD`, times `HH:MM`, toggles a bool.
        """
        target = await self._input(card, label_or_id)
        kind = await target.evaluate(
            """el => ({tag: el.tagName.toLowerCase(), type: el.type || '', role: el.getAttribute('role') || '',
                       date: !!el.closest('.fui-DatePicker'), time: !!el.closest('.fui-TimePicker'),
                       boxes: el.querySelectorAll('input[type=checkbox]').length})"""
        )
        values = [str(v) for v in value] if isinstance(value, list | tuple | set) else [str(value)]
        if kind["type"] == "checkbox":  # Input.Toggle
            await target.set_checked(bool(value))
        elif kind["role"] == "radiogroup":  # Input.ChoiceSet style=expanded
            await target.get_by_role("radio", name=values[0], exact=True).check()
        elif kind["boxes"]:  # Input.ChoiceSet style=expanded isMultiSelect
            for box in await target.get_by_role("checkbox").all():
                await box.set_checked(await box.get_attribute("aria-label") in values)
        elif kind["date"]:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            await target.fill(f"{day:%B} {day.day}, {day.year}")  # parsed as local time, unlike ISO (UTC)
            await target.press("Tab")  # commits without opening the calendar (Enter opens it over the card)
        elif kind["time"]:
            hour, minute = (int(part) for part in values[0].split(":")[:2])
            await target.click()
            await target.fill(dt.time(hour, minute).strftime("%I:%M %p").lstrip("0"))
            await target.press("Enter")
            await self._close_popup(target)
        elif kind["role"] == "combobox":  # Input.ChoiceSet compact, single or multi-select
            await target.click()
            for title in values:  # single-select lists options, multi-select a menu of checkboxes
                option = self.page.get_by_role("option", name=title, exact=True)
                await option.or_(self.page.get_by_role("menuitemcheckbox", name=title, exact=True)).click()
            await self._close_popup(target)
        elif kind["role"] == "spinbutton":  # Input.Number commits on blur
            await target.fill(values[0])
            await target.press("Tab")
        else:
            await target.fill(values[0])

    @staticmethod
    async def _close_popup(target: Locator) -> None:
        if await target.get_attribute("aria-expanded") == "true":
            await target.press("Escape")

    # ---- evidence

    async def screenshot(self, path: Path | str, target: Locator | None = None) -> Path:
        """A PNG of the page, or of one card/message; parent folders are created."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if target is None:
            await self.page.screenshot(path=path, animations="disabled", caret="hide")
        else:
            await target.screenshot(path=path, animations="disabled", caret="hide")
        return path

    async def log_text(self) -> str:
        """The playground's log panel: every activity each way with its HTTP status, and its warnings."""
        return await self.page.locator(LOG_PANEL).inner_text()

    async def wait_for_log(self, text: str | re.Pattern[str], timeout: int = CARD_TIMEOUT_MS) -> None:
        """Wait for a log panel line, e.g. "invoke 200" or a "not supported" warning."""
        await expect(self.page.locator(LOG_PANEL)).to_contain_text(text, timeout=timeout)

    async def dump(self, folder: Path) -> None:
        """Screenshot, HTML, log panel and browser console into `folder`, for a failed test."""
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            await self.screenshot(folder / "page.png")
            (folder / "page.html").write_text(await self.page.content(), encoding="utf-8")
            (folder / "log-panel.txt").write_text(await self.log_text(), encoding="utf-8")
        (folder / "console.txt").write_text("\n".join(self.console), encoding="utf-8")


# --------------------------------------------------------------------------------------------------------------------
# Files for file messages


def pdf_bytes(text: str = "Invoice INV-1") -> bytes:
    """A minimal one-page PDF, enough for a bot that only downloads and sizes the file."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])
