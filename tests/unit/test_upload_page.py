"""The upload page as a file: self-contained, well-formed, and carrying every test hook it documents.

The behaviour (upload, polling, review, conflicts) is tested in Chromium against the real server; these checks
catch what would break that test or a locked-down deployment before a browser starts: a CDN link, a broken tag,
a documented id that no longer exists.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources

import pytest

PAGE = resources.files("invoice_capture.ingest") / "static" / "upload.html"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
KEY_FIELDS = ["VendorName", "InvoiceId", "InvoiceDate", "DueDate", "PurchaseOrder", "CurrencyCode", "SubTotal",
              "TotalTax", "InvoiceTotal", "AmountDue", "CustomerName", "PaymentTerm"]
# what the Chromium test is promised (the brief), beyond whatever else the page documents
REQUIRED_IDS = ["drop-zone", "file-input", "approve", "edit", "save", "reject", "reject-reason", "api-key",
                "status", "detail", "open-original"]
REQUIRED_TESTIDS = ["invoice-row", "state", "field-NAME"]


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
])
def test_speaks_the_rest_contract(script: str, needle: str) -> None:
    assert needle in script


def test_verbs(script: str) -> None:
    for verb in ("approve", "reject", "save", "retry"):
        assert f'act("{verb}"' in script, verb
