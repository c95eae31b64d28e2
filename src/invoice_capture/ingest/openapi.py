"""The REST API's OpenAPI 3.0.3 document, served at ``GET /api/openapi.json``.

Written by hand as a dict next to the handlers (ingest/rest.py) rather than generated, so it says what the API
promises (shapes, the statuses that really occur, why) and nothing the framework happens to do. A schemathesis run
against the live service in the test suite (tests/integration/test_openapi_schemathesis.py) holds the server to
it: no 5xx, and every answer matches the status codes, content types and schemas declared here.
"""

from __future__ import annotations

import copy
from typing import Any

from invoice_capture.review.workflow import STATES, VERBS, VIEW_VERBS

#: Media types GET .../original may answer with (rest.VIEWABLE, and everything else as a download).
ORIGINAL_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp",
                  "application/octet-stream")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


STR = {"type": "string"}
ANY_OBJECT = {"type": "object", "additionalProperties": True}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong, in a sentence for people."}},
        "additionalProperties": True,
    },
    "FileError": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": STR, "message": STR},
    },
    "InvoiceState": {"type": "string", "enum": list(STATES)},
    "SummaryRow": {
        "type": "object",
        "required": ["id", "filename", "state", "vendor", "invoice_number", "total", "currency", "received_at",
                     "assignee", "error"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "filename": STR, "state": _ref("InvoiceState"),
            "vendor": STR, "invoice_number": STR, "total": _nullable({"type": "number"}), "currency": STR,
            "received_at": {"type": "string", "format": "date-time"},
            "assignee": {"type": "string", "description": "Who an escalated invoice waits for."},
            "error": _nullable(_ref("FileError")),
        },
    },
    "InvoiceList": {
        "type": "object", "required": ["invoices", "next", "cursor"],
        "properties": {
            "invoices": {"type": "array", "items": _ref("SummaryRow")},
            "next": _nullable({"type": "string", "description": "The next page (same filters), or null at the end."}),
            "cursor": _nullable({"type": "string", "description": "The cursor ``next`` carries."}),
        },
    },
    "HistoryLine": {
        "type": "object", "required": ["action", "actor_name", "actor_id", "at", "reason", "changes"],
        "properties": {
            "action": STR, "actor_name": STR, "actor_id": STR, "at": {"type": "string", "format": "date-time"},
            "reason": _nullable(STR), "changes": ANY_OBJECT,
        },
    },
    "AuditEvent": {
        "type": "object", "required": ["seq", "action", "actor_id", "actor_name", "at", "reason", "changes"],
        "properties": {
            "seq": {"type": "integer", "description": "Position in the tenant's hash chain."},
            "action": STR,
            "actor_id": {"type": "string", "description": "Entra object id, web:<name>, or system."},
            "actor_name": STR, "at": {"type": "string", "format": "date-time"}, "reason": _nullable(STR),
            "changes": {"type": "object", "additionalProperties": True,
                        "description": "Field-level changes as {name: [before, after]}."},
        },
    },
    "Allowed": {
        "type": "object", "required": ["verbs", "approve_note", "approve_reason", "callback", "escalate_to"],
        "description": "What the calling person may do with the invoice now (the server still checks each action).",
        "properties": {
            "verbs": {"type": "array", "items": {"type": "string", "enum": list(VERBS)}},
            "approve_note": {"type": "string", "description": "Why approve is not offered (empty when it is)."},
            "approve_reason": {"type": "string", "description": "Set when approving needs a reason."},
            "callback": {"type": "boolean", "description": "Approving needs a confirmed call-back to the vendor."},
            "escalate_to": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "covers", "limit"],
                "properties": {"id": STR, "name": STR, "covers": {"type": "boolean"}, "limit": STR}}},
        },
    },
    "Invoice": {
        "type": "object",
        "required": ["id", "tenant_id", "state", "version", "filename", "pages", "source", "received_at", "fields",
                     "items", "warnings", "error", "decision", "escalated_to", "history", "allowed"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "tenant_id": STR, "state": _ref("InvoiceState"),
            "version": {"type": "integer", "description": "Send it back with an action (optimistic lock)."},
            "filename": STR, "pages": _nullable({"type": "integer"}),
            "source": {"type": "string", "description": "teams, upload, api, ..."},
            "received_at": {"type": "string", "format": "date-time"},
            "uploaded_by": STR, "uploaded_by_id": STR,
            "fields": {"type": "object", "additionalProperties": ANY_OBJECT,
                       "description": "Azure Document Intelligence field names -> {value, text, confidence, ...}."},
            "items": {"type": "array", "items": ANY_OBJECT},
            "warnings": {"type": "array", "items": STR},
            "error": _nullable(_ref("FileError")),
            "decision": _nullable({"type": "object", "properties": {
                "action": STR, "by_name": STR, "by_id": STR, "at": {"type": "string", "format": "date-time"},
                "reason": _nullable(STR)}}),
            "escalated_to": _nullable({"type": "object", "properties": {"id": STR, "name": STR}}),
            "escalated_by": _nullable({"type": "object", "properties": {"name": STR}}),
            "escalation_reason": _nullable(STR),
            "duplicate_of": _nullable(ANY_OBJECT),
            "gate": _nullable({"type": "object", "properties": {
                "level": {"type": "string", "enum": ["L0", "L1", "L2", "L3"]},
                "reasons": {"type": "array", "items": STR}}}),
            "checks": {"type": "array", "items": ANY_OBJECT},
            "vendor_match": ANY_OBJECT,
            "vendor": STR, "invoice_number": STR, "total": _nullable({"type": "number"}), "currency": STR,
            "history": {"type": "array", "items": _ref("HistoryLine")},
            "allowed": _ref("Allowed"),
        },
    },
    "InvoiceDetail": {
        "allOf": [_ref("Invoice"), {
            "type": "object", "required": ["audit"],
            "properties": {"audit": {"type": "array", "items": _ref("AuditEvent"),
                                     "description": "The invoice's whole audit trail, in chain order."}}}],
    },
    "ActionConflict": {
        "type": "object", "required": ["error", "invoice"],
        "properties": {"error": STR, "invoice": _ref("Invoice")},
    },
    "Received": {
        "type": "object", "required": ["id", "filename", "state", "error", "duplicate"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "filename": STR, "state": _ref("InvoiceState"),
            "error": _nullable(_ref("FileError")),
            "duplicate": {"type": "boolean", "description": "The same bytes were received before: this is that "
                                                            "invoice."},
            "url": {"type": "string", "description": "For URL uploads: the URL it came from."},
        },
    },
    "FetchFailure": {
        "type": "object", "required": ["url", "error"],
        "properties": {"url": STR, "error": _ref("FileError")},
        "description": "A URL that was not fetched (host not allowed, remote error, timeout, too large).",
    },
    "UploadResult": {
        "type": "object", "required": ["invoices"],
        "properties": {
            "invoices": {"type": "array", "items": {"anyOf": [_ref("Received"), _ref("FetchFailure")]}},
            "warning": {"type": "string", "description": "The multipart body broke off after these files: the "
                                                         "rest was not read."},
        },
    },
    "UrlUpload": {
        "type": "object",
        "description": "One URL (`url`, optional `filename`) or up to 50 (`urls`: strings or {url, filename}).",
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "filename": {"type": "string", "maxLength": 200},
            "urls": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"anyOf": [
                {"type": "string", "format": "uri"},
                {"type": "object", "required": ["url"], "properties": {
                    "url": {"type": "string", "format": "uri"}, "filename": {"type": "string", "maxLength": 200}}}]}},
        },
    },
    "Action": {
        "type": "object", "required": ["verb"],
        "properties": {
            "verb": {"type": "string", "enum": [*VERBS, *VIEW_VERBS]},
            "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                        "description": "The version the decision was made on; a stale one gets 409."},
            "reason": {"type": "string", "maxLength": 2000},
            "approver": {"type": "string", "description": "escalate: the approver's id (from allowed.escalate_to)."},
            "callback_confirmed": {"anyOf": [{"type": "boolean"}, {"type": "string"}],
                                   "description": "approve with changed bank details: true (or \"true\")."},
            "callback_note": {"type": "string", "maxLength": 2000},
            "fields": {"type": "object", "description": "save: field name -> new value as typed (null clears).",
                       "additionalProperties": {"nullable": True, "anyOf": [{"type": "string"}, {"type": "number"}]}},
        },
    },
}

TENANT_HEADER = {
    "name": "X-Tenant-Id", "in": "header", "required": False,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
    "description": "Only in open mode (no keys configured) does it choose the tenant. With an API key or an Entra "
                   "token the tenant comes from the credential; naming another one here gets 403.",
}
USER_HEADER = {
    "name": "X-User", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 128},
    "description": "The person acting, for API keys and open mode (UTF-8). Ignored for Entra tokens: the token "
                   "names the person.",
}
ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
COMMON = [TENANT_HEADER, USER_HEADER]

AUTH_ERRORS = {
    "400": _error("A malformed parameter or header (for instance X-Tenant-Id)."),
    "401": {**_error("No credentials, or an invalid API key or token (WWW-Authenticate says which)."),
            "headers": {"WWW-Authenticate": {"schema": STR}}},
    "403": _error("The credentials belong to another tenant than X-Tenant-Id, or the token's tenant is not "
                  "allowed."),
    "503": _error("Entra's signing keys cannot be fetched right now; retry."),
}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "invoice-capture REST API",
        "version": "1.0.0",
        "description": "Accounts-payable invoice capture: send invoices (files or URLs), list and read them with "
                       "their extracted fields, state and audit trail, and decide on them. Every call is scoped to "
                       "one tenant: the API key's, or the Entra token's `tid`.",
    },
    "servers": [{"url": "/"}],
    "security": [{"ApiKey": []}, {"ApiKeyAuthorization": []}, {"EntraBearer": []}],
    "components": {
        "securitySchemes": {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                       "description": "A key from API_KEYS (tenant:key) or API_KEY (the default tenant)."},
            "ApiKeyAuthorization": {"type": "apiKey", "in": "header", "name": "Authorization",
                                    "description": "The same key as `Authorization: ApiKey <key>`."},
            "EntraBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                            "description": "An Entra ID access token for ENTRA_API_AUDIENCE (RS256)."},
        },
        "schemas": SCHEMAS,
    },
    "paths": {
        "/api/invoices": {
            "get": {
                "operationId": "listInvoices",
                "summary": "List the tenant's invoices, newest first, with filters and paging",
                "parameters": [
                    {"name": "state", "in": "query", "required": False, "style": "form", "explode": False,
                     "schema": {"type": "array", "items": _ref("InvoiceState")},
                     "description": "Comma list of states."},
                    {"name": "vendor", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "Part of the vendor name (case ignored)."},
                    {"name": "from", "in": "query", "required": False,
                     "schema": {"anyOf": [{"type": "string", "format": "date"},
                                          {"type": "string", "format": "date-time"}]},
                     "description": "Received on or after this date (YYYY-MM-DD, UTC) or date-time."},
                    {"name": "to", "in": "query", "required": False,
                     "schema": {"anyOf": [{"type": "string", "format": "date"},
                                          {"type": "string", "format": "date-time"}]},
                     "description": "Received on or before this date (the whole day, UTC) or date-time."},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "From the previous page's `cursor` (or just follow `next`)."},
                    *COMMON,
                ],
                "responses": {
                    "200": _json("One page of invoices.", "InvoiceList"),
                    **AUTH_ERRORS,
                    "400": _error("An unknown state, an unreadable date, a limit outside 1..200 or a bad cursor."),
                },
            },
            "post": {
                "operationId": "createInvoices",
                "summary": "Send invoices: files (multipart) or URLs to fetch (JSON)",
                "description": "Each file is kept and queued for extraction (202); the extracted fields follow on "
                               "GET /api/invoices/{id}. The same bytes again return the earlier invoice "
                               "(`duplicate: true`). A file that is not a readable invoice is kept as `failed` with "
                               "the reason. URLs are fetched only from hosts in FETCH_HOSTS (https).",
                "parameters": COMMON,
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {
                        "schema": {"type": "object", "required": ["file"], "properties": {
                            "file": {"type": "array", "maxItems": 50,
                                     "items": {"type": "string", "format": "binary"}}}},
                        "encoding": {"file": {"contentType": "application/octet-stream"}}},
                    "application/json": {"schema": _ref("UrlUpload")},
                }},
                "responses": {
                    "202": _json("Received (some URLs may have failed: see each item's error).", "UploadResult"),
                    **AUTH_ERRORS,
                    "400": _error("No file part, a body that is not the documented JSON, or URL uploads are off "
                                  "(FETCH_HOSTS is empty)."),
                    "413": _error("More than 50 files or URLs, or a file or body that is too large."),
                    "415": _error("Neither multipart/form-data nor application/json."),
                    "422": _json("No URL could be fetched; each item says why.", "UploadResult"),
                },
            },
        },
        "/api/invoices/{id}": {
            "get": {
                "operationId": "getInvoice",
                "summary": "One invoice: fields, state, what the caller may do, and its audit trail",
                "parameters": [ID_PARAM, *COMMON],
                "responses": {
                    "200": _json("The invoice.", "InvoiceDetail"),
                    **AUTH_ERRORS,
                    "404": _error("No such invoice in this tenant."),
                },
            },
        },
        "/api/invoices/{id}/original": {
            "get": {
                "operationId": "getOriginal",
                "summary": "The file as received",
                "parameters": [ID_PARAM, *COMMON],
                "responses": {
                    "200": {"description": "The original bytes (PDF and images as themselves, anything else as a "
                                           "download).",
                            "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                        for t in ORIGINAL_TYPES}},
                    **AUTH_ERRORS,
                    "404": _error("No such invoice in this tenant."),
                },
            },
        },
        "/api/invoices/{id}/actions": {
            "post": {
                "operationId": "actOnInvoice",
                "summary": "Decide or edit: approve, reject, escalate, save, retry, reopen",
                "parameters": [ID_PARAM, *COMMON],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Action")}}},
                "responses": {
                    "200": _json("The invoice after the action.", "Invoice"),
                    **AUTH_ERRORS,
                    "400": _error("Not the documented JSON, an unknown verb, or what the action needs is missing "
                                  "(a reason, an approver, a readable value)."),
                    "404": _error("No such invoice in this tenant."),
                    "409": _json("Not applied: the invoice changed meanwhile (stale version) or this person may "
                                 "not do that now; the current invoice is in the answer.", "ActionConflict"),
                    "413": _error("The body is too large."),
                },
            },
        },
    },
}


def spec() -> dict[str, Any]:
    """A copy of the document (callers may not change the one the server serves)."""
    return copy.deepcopy(SPEC)
