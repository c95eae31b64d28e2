"""The upload page as a file: self-contained, well-formed, and carrying every test hook it documents; and the
review controls driven in headless Chromium.

The static checks catch what would break a browser test or a locked-down deployment before a browser starts: a CDN
link, a broken tag, a documented id that no longer exists. The Chromium tests (Debian's chromium through PyPI
playwright, skipped on a machine without it and failing in CI) open the real page, with its real
Content-Security-Policy, against a stub of the REST API whose invoices are built by the real view and permission
code (review/view.py, review/routing.py): they check what a clerk and an approver see (gate level, vendor match,
checks, which buttons, why Approve is missing) and the exact action bodies the page sends.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from importlib import resources
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Page as Tab
from playwright.async_api import async_playwright, expect

from invoice_capture.ingest.rest import RestApi
from invoice_capture.review.policy import parse
from invoice_capture.review.routing import Person, permissions
from invoice_capture.review.view import invoice_view, summary_row
from invoice_capture.review.workflow import Actor
from invoice_capture.store.models import Invoice
from tests.conftest import unavailable
from tests.e2e.playground import CHROMIUM, CHROMIUM_ARGS
from tests.fakes.extractor import fv

PAGE = resources.files("invoice_capture.ingest") / "static" / "upload.html"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
KEY_FIELDS = ["VendorName", "InvoiceId", "InvoiceDate", "DueDate", "PurchaseOrder", "CurrencyCode", "SubTotal",
              "TotalTax", "InvoiceTotal", "AmountDue", "CustomerName", "PaymentTerm"]
# what the Chromium test is promised (the brief), beyond whatever else the page documents
REQUIRED_IDS = ["drop-zone", "file-input", "approve", "edit", "save", "reject", "reject-reason", "api-key",
                "status", "detail", "open-original",
                # the controls (issue 4)
                "gate", "gate-title", "gate-reasons", "vendor-match", "checks", "escalate", "reopen", "approve-note",
                "approve-form", "approve-reason", "callback-confirmed", "callback-note", "confirm-approve",
                "escalate-form", "escalate-to", "escalate-reason", "confirm-escalate"]
REQUIRED_TESTIDS = ["invoice-row", "state", "field-NAME", "check"]


class Page(HTMLParser):
    """Every element with its attributes, the comments, the script and style text, and tag balance errors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.doctype = ""
        self.stack: list[str] = []
        self.balance_errors: list[str] = []
        self._in: str | None = None

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("script", "style"):
            self._in = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.balance_errors.append(f"</{tag}> at line {self.getpos()[0]}, open: {self.stack[-3:]}")
        else:
            self.stack.pop()
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def by_id(self, id_: str) -> list[tuple[str, dict[str, str]]]:
        return [(t, a) for t, a in self.elements if a.get("id") == id_]


@pytest.fixture(scope="module")
def text() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(text: str) -> Page:
    p = Page()
    p.feed(text)
    p.close()
    return p


@pytest.fixture(scope="module")
def script(page: Page) -> str:
    return "\n".join(page.scripts)


@pytest.fixture(scope="module")
def documented(page: Page) -> tuple[list[str], list[str]]:
    """The ids and data-testids named in the test-hook comment at the top of the file."""
    doc = page.comments[0]
    assert "Test hooks" in doc
    hooks = doc.split("Test hooks", 1)[1]
    ids = sorted(set(re.findall(r"(?<![\w\[=-])#([a-z][\w-]*)", hooks)))
    testids = sorted(set(re.findall(r"\[data-testid=([\w-]+)\]", hooks)))
    return ids, testids


def test_parses_as_a_complete_html_document(page: Page) -> None:
    assert page.doctype.lower() == "doctype html"
    assert page.balance_errors == []
    assert page.stack == []
    tags = [t for t, _ in page.elements]
    for tag in ("html", "head", "title", "body", "main", "style", "script"):
        assert tag in tags, tag
    (html,) = [a for t, a in page.elements if t == "html"]
    assert html.get("lang") == "en"
    assert any(t == "meta" and a.get("charset", "").lower() == "utf-8" for t, a in page.elements)


def test_self_contained(text: str, page: Page) -> None:
    """Nothing is fetched from another host: no CDN, no web font, no analytics, no absolute API URL."""
    assert not re.search(r"(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+", text, re.I), "an absolute URL"
    for tag, attrs in page.elements:
        for name in ("src", "href", "action", "formaction", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith(("#", "data:")) or not re.match(r"^([a-z][a-z0-9+.-]*:|//)", value, re.I), \
                f"<{tag} {name}={value!r}>"
        assert not (tag == "script" and "src" in attrs), "scripts are inline"
        assert not (tag == "link" and "stylesheet" in attrs.get("rel", "")), "styles are inline"
    css = "\n".join(page.styles)
    assert "@import" not in css and "url(" not in css


def test_ids_are_unique(page: Page) -> None:
    ids = [a["id"] for _, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_documents_the_hooks_the_browser_test_uses(documented: tuple[list[str], list[str]]) -> None:
    ids, testids = documented
    assert set(REQUIRED_IDS) <= set(ids)
    assert set(REQUIRED_TESTIDS) <= set(testids)


def test_every_documented_id_exists(page: Page, script: str, documented: tuple[list[str], list[str]]) -> None:
    """Static ids are in the markup; ids made per field (#input-NAME) are built by the script."""
    ids, _ = documented
    for id_ in ids:
        if id_.endswith("-NAME"):
            assert f'`{id_[:-4]}${{name}}`' in script, id_
        else:
            assert len(page.by_id(id_)) == 1, f"#{id_} is documented but not in the page"


def test_every_documented_testid_exists(page: Page, script: str, documented: tuple[list[str], list[str]]) -> None:
    _, testids = documented
    static = {a.get("data-testid") for _, a in page.elements}
    for tid in testids:
        if tid.endswith("-NAME"):
            assert f'"data-testid": `{tid[:-4]}${{name}}`' in script, tid
        else:
            assert tid in static or f'"data-testid": "{tid}"' in script, f"[data-testid={tid}] is never made"


def test_the_file_input(page: Page) -> None:
    ((tag, attrs),) = page.by_id("file-input")
    assert tag == "input" and attrs["type"] == "file" and "multiple" in attrs
    accept = attrs["accept"].split(",")
    for ext in (".pdf", ".jpg", ".png", ".tif", ".tiff", ".xml"):
        assert ext in accept


def test_reject_reason_is_required(page: Page) -> None:
    ((tag, attrs),) = page.by_id("reject-reason")
    assert tag == "textarea" and "required" in attrs


def test_approval_inputs_are_required_and_escalation_note_is_optional(page: Page) -> None:
    """What the server insists on (a reason for a likely duplicate, a confirmed call-back with a note) is marked
    required for assistive technology too; the note to an approver is not."""
    ((tag, attrs),) = page.by_id("approve-reason")
    assert tag == "textarea" and "required" in attrs and attrs.get("aria-required") == "true"
    ((tag, attrs),) = page.by_id("callback-confirmed")
    assert tag == "input" and attrs["type"] == "checkbox" and "required" in attrs
    ((tag, attrs),) = page.by_id("callback-note")
    assert tag == "input" and attrs["type"] == "text" and "required" in attrs
    ((tag, attrs),) = page.by_id("escalate-to")
    assert tag == "select" and "required" in attrs
    ((tag, attrs),) = page.by_id("escalate-reason")
    assert tag == "textarea" and "required" not in attrs
    for form in ("approve-form", "escalate-form", "reject-form"):
        ((tag, attrs),) = page.by_id(form)
        assert tag == "form" and "hidden" in attrs and "novalidate" in attrs, form


def test_form_controls_are_labelled(page: Page) -> None:
    labelled = {a["for"] for t, a in page.elements if t == "label" and "for" in a}
    for tag, attrs in page.elements:
        if tag in ("input", "textarea", "select"):
            assert attrs.get("id") in labelled or "aria-label" in attrs or "aria-labelledby" in attrs, attrs
        if tag == "button":
            assert attrs.get("type") in ("button", "submit"), attrs


def test_status_changes_are_announced(page: Page) -> None:
    ((_, status),) = page.by_id("status")
    assert status.get("aria-live") == "polite" and status.get("role") == "status"
    for id_ in ("auth-message", "detail-message"):
        ((_, attrs),) = page.by_id(id_)
        assert attrs.get("role") == "alert"


def test_edit_mode_covers_the_key_fields(script: str) -> None:
    m = re.search(r"const KEY_FIELDS = \[(.*?)\];", script, re.S)
    assert m
    assert re.findall(r'"(\w+)"', m.group(1)) == KEY_FIELDS
    assert "`input-${name}`" in script


@pytest.mark.parametrize("needle", [
    'const API = "api/invoices"',              # relative: works behind a path prefix too
    "?limit=50",
    'form.append("file", f, f.name)',          # multipart parts named "file"
    'h["X-API-Key"] = key',
    "localStorage",
    "FAST_POLL_MS = 1500, SLOW_POLL_MS = 10000",
    'new Set(["received", "extracting"])',
    "/actions`",
    "/original`",
    '{ verb, version: detail.version }',
    "c >= 0.9", "c >= 0.65",
    "status === 409 && data && data.invoice",
    "This service needs an API key",
    "detail.allowed",                           # the buttons follow what the server allows this user
    'callback_confirmed: "true", callback_note: note',
    "{ approver, reason }",
])
def test_speaks_the_rest_contract(script: str, needle: str) -> None:
    assert needle in script


def test_verbs(script: str) -> None:
    for verb in ("approve", "reject", "save", "retry", "escalate", "reopen"):
        assert f'act("{verb}"' in script, verb


def test_gate_levels_in_plain_words(script: str) -> None:
    assert ('L3: "Fraud alert: the bank details differ from the vendor master. An approver must call the vendor '
            'back before approving."') in script
    assert 'L2: "Needs a person\'s approval"' in script
    assert 'L1: "Approved automatically"' in script and 'L0: "Approved automatically"' in script


# ------------------------------------------------------------------------------------------ in Chromium

TENANT = "local"
PAT = Actor("web:Pat Clerk", "Pat Clerk", "clerk")
BO = Actor("web:Bo Approver", "Bo Approver", "approver")
#: Default limits (clerk 1,000 EUR, approver 25,000 EUR) plus Al Low, an approver with a named 3,000 EUR limit.
POLICY = parse({"approval": {"people": {"Al Low": 3000}}})
PEOPLE = [Person("web:Al Low", "Al Low", "approver"), Person(BO.id, BO.name, "approver")]
RECEIVED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
BANK_CHECK = {"rule": "vendor.bank_changed", "severity": "fraud", "ref": {"vendor": "ACME GmbH"},
              "message": "The IBAN on this invoice (GB29 **** 6819) is not the one on file for ACME GmbH "
                         "(DE89 **** 3000). Call the vendor on a number you already have before paying."}
ACME_BY_TAX_ID = {"vendor_id": 1, "name": "ACME GmbH", "by": "tax_id", "score": 100.0, "ambiguous": False,
                  "conflict": False, "note": "", "default_approver": "", "iban": "DE89370400440532013000"}


def invoice(actor: Actor, *, state: str = "needs_review", version: int = 3, total: float = 4200.0,
            level: str = "L2", reasons: tuple[str, ...] = ("new vendor (not in the vendor master)",),
            checks: tuple[dict[str, Any], ...] = (), match: dict[str, Any] | None = None,
            duplicate: Invoice | None = None, **columns: Any) -> dict[str, Any]:
    """An invoice as GET /api/invoices/{id} gives it to ``actor``: the real view of a stored row plus the real
    permissions, so the page is tested against the contract and the sentences the server really sends."""
    inv = Invoice(id="inv-1", tenant_id=TENANT, filename="acme-4711.pdf", content_sha256="0" * 64, state=state,
                  version=version, pages=1, source="upload", received_at=RECEIVED, uploaded_by_id=PAT.id,
                  uploaded_by_name=PAT.name, vendor_name="ACME GmbH", invoice_number="4711",
                  total=Decimal(str(total)), currency="EUR", gate_level=level, gate_reasons=list(reasons),
                  checks=list(checks), vendor_match=match or {}, duplicate_of=duplicate.id if duplicate else "",
                  warnings=[c["message"] for c in checks if not c["rule"].startswith("duplicate.")],
                  fields={"VendorName": fv("ACME GmbH"), "InvoiceId": fv("4711"), "InvoiceTotal": fv(total),
                          "CurrencyCode": fv("EUR")}, items=[], **columns)
    view = invoice_view(inv, [], duplicate)
    view["allowed"] = permissions(POLICY, view, actor, PEOPLE)
    view["_row"] = summary_row(inv)
    return view


@dataclass
class StubApi:
    """The REST API as far as the page uses it: one invoice, and every action body the page sends, answered from
    ``answers`` (status, body) in order. The page itself is served by the real handler, with its CSP."""

    view: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([web.get("/", RestApi(cast(Any, None)).page), web.get("/api/invoices", self.list),
                        web.get("/api/invoices/{id}", self.get), web.post("/api/invoices/{id}/actions", self.act)])
        return app

    def answer(self, status: int, body: dict[str, Any]) -> None:
        self.answers.append((status, body))

    @staticmethod
    def public(view: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in view.items() if k != "_row"}

    async def list(self, _request: web.Request) -> web.Response:
        return web.json_response({"invoices": [self.view["_row"]]})

    async def get(self, _request: web.Request) -> web.Response:
        return web.json_response(self.public(self.view))

    async def act(self, request: web.Request) -> web.Response:
        self.actions.append(await request.json())
        status, body = self.answers.pop(0)
        if status == 200:
            self.view = body
            return web.json_response(self.public(body))
        return web.json_response(body, status=status)


@dataclass
class Browser:
    page: Tab
    errors: list[str]
    start: Any

    async def open(self, api: StubApi) -> Tab:
        """The page with the invoice open, as a link to it (#invoice=ID) opens it."""
        server = await self.start(api)
        # "localhost", not 127.0.0.1: CHROMIUM_ARGS make every other host name unresolvable
        await self.page.goto(f"http://localhost:{server.port}/#invoice={api.view['id']}")
        await expect(self.page.locator("#detail")).to_be_visible()
        await expect(self.page.locator("#detail-title")).to_have_text("acme-4711.pdf")
        return self.page


#: Chromium logs every HTTP error status as a console error; the refusals a test asks the stub for are expected.
DELIBERATE = "Failed to load resource: the server responded with a status of"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian chromium (DESIGN.md: never `playwright install`); page errors and console errors, CSP
    violations included, are collected so each test can insist there were none."""
    if not CHROMIUM.is_file():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)")
    servers: list[TestServer] = []

    async def start(api: StubApi) -> TestServer:
        server = TestServer(api.app(), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return server

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                    args=list(CHROMIUM_ARGS))
        try:
            context = await chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US",
                                                 timezone_id="UTC")
            context.set_default_timeout(15_000)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on("console", lambda msg: errors.append(f"console: {msg.text}")
                    if msg.type == "error" and not msg.text.startswith(DELIBERATE) else None)
            yield Browser(page, errors, start)
        finally:
            await chromium.close()
            for server in servers:
                await server.close()


async def buttons(page: Tab) -> dict[str, bool]:
    """Which action buttons are visible and enabled."""
    return {id_: await page.locator(f"#{id_}").is_visible() and await page.locator(f"#{id_}").is_enabled()
            for id_ in ("approve", "edit", "escalate", "reject", "reopen", "retry")}


async def test_clerk_above_their_limit_sees_why_and_escalates(browser: Browser) -> None:
    api = StubApi(invoice(PAT))
    page = await browser.open(api)
    await expect(page.locator("#gate")).to_have_attribute("data-level", "L2")
    await expect(page.locator("#gate-title")).to_have_text("Needs a person's approval(L2)")
    await expect(page.locator("#gate-reasons li")).to_have_text(["new vendor (not in the vendor master)"])
    await expect(page.locator("#vendor-match")).to_have_text("Not in the vendor master (new vendor)")
    note = api.view["allowed"]["approve_note"]
    assert "above your approval limit of 1,000 EUR" in note
    await expect(page.locator("#approve-note")).to_have_text(note)
    assert await buttons(page) == {"approve": False, "edit": True, "escalate": True, "reject": True,
                                   "reopen": False, "retry": False}

    await page.click("#escalate")
    await expect(page.locator("#escalate-form")).to_be_visible()
    await expect(page.locator("#escalate-to")).to_be_focused()
    options = page.locator("#escalate-to option")
    await expect(options).to_have_text(["Bo Approver, limit 25,000 EUR",
                                        "Al Low, limit 3,000 EUR (limit too low for this invoice)"])
    assert await options.nth(1).is_disabled() and await options.nth(1).get_attribute("data-covers") == "false"
    await expect(page.locator("#escalate-to")).to_have_value(BO.id)
    await page.fill("#escalate-reason", "Above my limit")
    api.answer(200, invoice(PAT, state="escalated", version=4, escalated_to_id=BO.id, escalated_to_name=BO.name,
                            escalated_by_name=PAT.name, escalation_reason="Above my limit"))
    await page.click("#confirm-escalate")
    await expect(page.locator("#detail-message")).to_have_text("Escalated.")
    assert api.actions == [{"verb": "escalate", "version": 3, "approver": BO.id, "reason": "Above my limit"}]
    await expect(page.locator("#escalate-form")).to_be_hidden()
    await expect(page.locator("#escalation")).to_have_text("Waiting for Bo Approver (escalated by Pat Clerk): "
                                                           "Above my limit")
    assert not any((await buttons(page)).values())  # a clerk waits for the approver now
    assert browser.errors == []


async def test_fraud_alert_is_red_and_approving_needs_the_call_back(browser: Browser) -> None:
    fraud: dict[str, Any] = {"total": 720.0, "level": "L3", "checks": (BANK_CHECK,), "match": ACME_BY_TAX_ID,
                             "reasons": ("bank details differ from the vendor master",
                                         "an approver must confirm it by calling the vendor back")}
    api = StubApi(invoice(PAT, **fraud))
    page = await browser.open(api)
    gate = page.locator("#gate")
    await expect(page.locator("#gate-title")).to_contain_text(
        "Fraud alert: the bank details differ from the vendor master. An approver must call the vendor back "
        "before approving.")
    await expect(gate).to_have_css("background-color", "rgb(253, 232, 230)")  # --bad-bg: red, not amber
    await expect(page.locator("#vendor-match")).to_have_text("Vendor master: ACME GmbH, matched by tax id")
    check = page.locator("[data-testid=check]")
    await expect(check).to_have_attribute("data-severity", "fraud")
    await expect(check).to_contain_text("Fraud risk")
    await expect(check).to_contain_text("is not the one on file for ACME GmbH")
    await expect(page.locator("#warnings-section")).to_be_hidden()  # the same sentence is not said twice
    # a clerk cannot approve changed bank details at any amount, and is told so
    await expect(page.locator("#approve")).to_be_disabled()
    await expect(page.locator("#approve-note")).to_contain_text("only an approver can approve this")

    api.view = invoice(BO, **fraud)
    await page.reload()
    await expect(page.locator("#approve")).to_be_enabled()
    await expect(page.locator("#approve-note")).to_be_hidden()
    await page.click("#approve")
    await expect(page.locator("#approve-form")).to_be_visible()
    await expect(page.locator("#callback-row")).to_be_visible()
    await expect(page.locator("#approve-reason-row")).to_be_hidden()
    await expect(page.locator("#callback-confirmed")).to_be_focused()

    await page.click("#confirm-approve")  # neither box filled in: both are asked for, nothing is sent
    await expect(page.locator("#callback-confirmed-error")).not_to_be_empty()
    await expect(page.locator("#callback-note-error")).not_to_be_empty()
    await expect(page.locator("#callback-confirmed")).to_have_attribute("aria-invalid", "true")
    assert api.actions == []
    await page.check("#callback-confirmed")
    await page.click("#confirm-approve")  # the note is still missing
    await expect(page.locator("#callback-note")).to_be_focused()
    await expect(page.locator("#callback-confirmed-error")).to_be_empty()
    assert api.actions == []

    note = "Jo Smith, ACME accounts, on +49 30 1234567 from the vendor master"
    await page.fill("#callback-note", note)
    api.answer(200, invoice(BO, **{**fraud, "state": "approved", "version": 4}, decided_at=RECEIVED,
                            decided_by_id=BO.id, decided_by_name=BO.name, decision_reason=f"Call-back: {note}"))
    await page.click("#confirm-approve")
    await expect(page.locator("#detail-message")).to_have_text("Approved.")
    assert api.actions == [{"verb": "approve", "version": 3, "callback_confirmed": "true", "callback_note": note}]
    await expect(page.locator("#approve-form")).to_be_hidden()
    await expect(page.locator("#decision")).to_contain_text(f"Reason: Call-back: {note}")
    assert browser.errors == []


async def test_approving_a_likely_duplicate_asks_why(browser: Browser) -> None:
    earlier = Invoice(id="inv-0", tenant_id=TENANT, filename="acme-4711-first.pdf", content_sha256="1" * 64,
                      state="approved", invoice_number="4711", received_at=RECEIVED - dt.timedelta(days=3))
    dup_check = {"rule": "duplicate.same_number", "severity": "duplicate", "ref": {"id": "inv-0"},
                 "message": "Same vendor and invoice number as 4711 (approved)."}
    api = StubApi(invoice(PAT, total=500.0, checks=(dup_check,), duplicate=earlier,
                          reasons=("possible duplicate of 4711", "new vendor (not in the vendor master)")))
    page = await browser.open(api)
    await expect(page.locator("#duplicate-of")).to_contain_text("Possible duplicate of 4711, acme-4711-first.pdf")
    await expect(page.locator("[data-testid=check]")).to_have_attribute("data-severity", "duplicate")
    sentence = api.view["allowed"]["approve_reason"]
    assert sentence == "This looks like a duplicate of 4711 (approved). Say why it is not one."

    await page.click("#approve")
    await expect(page.locator("#approve-reason-label")).to_have_text(f"{sentence} (required)")
    await expect(page.locator("#callback-row")).to_be_hidden()
    await expect(page.locator("#approve-reason")).to_be_focused()
    await page.fill("#approve-reason", "   ")
    await page.click("#confirm-approve")
    await expect(page.locator("#approve-reason-error")).not_to_be_empty()
    assert api.actions == []

    # the server has the last word: its refusal is shown and what was typed is kept
    await page.fill("#approve-reason", "Second delivery, separate order 88")
    refusal = ("This looks like a duplicate of an earlier invoice. To approve it anyway, say why it is not a "
               "duplicate.")
    api.answer(400, {"error": refusal})
    await page.click("#confirm-approve")
    await expect(page.locator("#detail-message")).to_have_text(refusal)
    await expect(page.locator("#approve-reason")).to_have_value("Second delivery, separate order 88")

    api.answer(200, invoice(PAT, state="approved", version=4, total=500.0, checks=(dup_check,), duplicate=earlier,
                            decided_at=RECEIVED, decided_by_id=PAT.id, decided_by_name=PAT.name,
                            decision_reason="Second delivery, separate order 88"))
    await page.click("#confirm-approve")
    await expect(page.locator("#detail-message")).to_have_text("Approved.")
    assert api.actions == [{"verb": "approve", "version": 3, "reason": "Second delivery, separate order 88"}] * 2
    assert browser.errors == []


async def test_auto_approved_invoice_says_why_and_can_be_reopened(browser: Browser) -> None:
    why = ("every key field read with confidence of at least 90%", "all checks passed", "known vendor ACME GmbH",
           "total under 5,000 EUR")
    api = StubApi(invoice(PAT, state="auto_approved", total=500.0, level="L1", reasons=why, match=ACME_BY_TAX_ID))
    assert api.view["allowed"]["verbs"] == ["reopen"]
    page = await browser.open(api)
    await expect(page.locator("#gate-title")).to_have_text("Approved automatically(L1)")
    await expect(page.locator("#gate")).to_have_css("background-color", "rgb(230, 244, 234)")  # --ok-bg
    await expect(page.locator("#gate-lead")).to_have_text("Because:")
    await expect(page.locator("#gate-reasons li")).to_have_text(list(why))
    await expect(page.locator("#checks li")).to_have_text(["OKAll checks passed."])
    assert await buttons(page) == {"approve": False, "edit": False, "escalate": False, "reject": False,
                                   "reopen": True, "retry": False}
    await expect(page.locator("#approve-note")).to_be_hidden()  # nothing to explain: it is already approved

    api.answer(200, invoice(PAT, version=4, total=500.0, match=ACME_BY_TAX_ID,
                            reasons=("reopened by Pat Clerk", *why)))
    await page.click("#reopen")
    await expect(page.locator("#detail-message")).to_contain_text("Reopened")
    await expect(page.locator("#gate-title")).to_have_text("Needs a person's approval(L2)")
    assert await buttons(page) == {"approve": True, "edit": True, "escalate": True, "reject": True,
                                   "reopen": False, "retry": False}
    # nothing more to ask (no duplicate, no bank change): Approve acts at once
    api.answer(200, invoice(PAT, state="approved", version=5, total=500.0, match=ACME_BY_TAX_ID,
                            decided_at=RECEIVED, decided_by_id=PAT.id, decided_by_name=PAT.name))
    await page.click("#approve")
    await expect(page.locator("#detail-message")).to_have_text("Approved.")
    assert api.actions == [{"verb": "reopen", "version": 3}, {"verb": "approve", "version": 4}]
    await expect(page.locator("#approve-form")).to_be_hidden()
    assert browser.errors == []
