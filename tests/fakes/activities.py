"""Teams activities as the Bot Framework sends them (msteams channel), for tests that post to /api/messages."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    aad: str
    name: str

    @property
    def id(self) -> str:
        return f"29:{self.aad}"


ANA = TeamsUser("ana-oid", "Ana Clerk")
BO = TeamsUser("bo-oid", "Bo Approver")
CY = TeamsUser("cy-oid", "Cy Manager")
TENANT = "tenant-contoso"
BOT = {"id": "28:bot-id", "name": "Invoice Capture"}


def personal_conv(user: TeamsUser) -> str:
    return f"a:personal-{user.aad}"


def activity(service_url: str, *, user: TeamsUser = ANA, tenant: str = TENANT, conversation: str | None = None,
             conversation_type: str = "personal", **fields: Any) -> dict[str, Any]:
    conv = conversation or personal_conv(user)
    return {
        "type": "message", "id": f"msg-{next(_ids)}", "channelId": "msteams", "serviceUrl": service_url,
        "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad},
        "recipient": BOT, "conversation": {"id": conv, "conversationType": conversation_type, "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}}, "locale": "en-US", **fields,
    }


def text_message(service_url: str, text: str, **kw: Any) -> dict[str, Any]:
    return activity(service_url, text=text, **kw)


def file_message(service_url: str, name: str, download_url: str, **kw: Any) -> dict[str, Any]:
    att = {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": name,
           "contentUrl": download_url, "content": {"downloadUrl": download_url, "uniqueId": f"u-{next(_ids)}",
                                                   "fileType": name.rsplit(".", 1)[-1]}}
    return activity(service_url, text="", attachments=[att], **kw)


def card_action(service_url: str, verb: str, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    act = activity(service_url, **kw)
    act.update(type="invoke", name="adaptiveCard/action",
               value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"})
    return act
