"""The Teams app package: ``manifest/manifest.json`` filled in for one bot registration, zipped with its icons.

The template in ``manifest/`` stays readable JSON with ``{{APP_ID}}``, ``{{NAME}}`` and ``{{VERSION}}``
placeholders; everything that differs per deployment is filled in here, so the same file serves the developer
tenant, a customer's test tenant and production. Inputs are checked before anything is written because Teams
answers a bad package with one vague "manifest parsing has failed": an app id that is not a GUID or a name longer
than Teams shows should fail here, with a sentence that says what to fix.

Manifest schema: v1.27, the newest version that Microsoft's reference lists as generally available among those
shipped in npm ``@microsoft/app-manifest`` 1.1.2 (which also carries 1.28-1.30 and devPreview). The developer
URLs point at ``https://invoice-capture.example`` placeholders; see ``manifest/README.md``.
"""

from __future__ import annotations

import copy
import json
import re
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

__all__ = [
    "APP_VERSION",
    "ICON_SIZES",
    "MANIFEST_DIR",
    "MANIFEST_VERSION",
    "build_manifest",
    "write_package",
]

MANIFEST_VERSION = "1.27"
MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest"
ICON_SIZES: dict[str, tuple[int, int]] = {"color.png": (192, 192), "outline.png": (32, 32)}
MAX_SHORT_NAME = 30  # the schema's limit for name.short; Teams truncates longer names in the app bar
MAX_VALID_DOMAINS = 16

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                   r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give a byte-identical package


def _package_version() -> str:
    """The app version Teams needs (plain MAJOR.MINOR.PATCH) from the Python package's version."""
    try:
        v = metadata.version("invoice-capture")
    except metadata.PackageNotFoundError:
        return "0.1.0"
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?", v)
    return ".".join(p or "0" for p in m.groups()) if m else "0.1.0"


APP_VERSION = _package_version()


def _check_app_id(app_id: str) -> str:
    """A GUID, or a sentence saying where the right value comes from."""
    app_id = (app_id or "").strip()
    if not _GUID.match(app_id):
        raise ValueError(f"the app id must be a GUID like 00000000-0000-0000-0000-000000000000 (the Microsoft "
                         f"App ID of the Azure Bot registration), got {app_id!r}")
    return app_id.lower()


def _domain(base_url: str) -> str:
    """The host Teams should trust, from the service's public URL (no scheme, path or port)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"the base URL must look like https://invoices.contoso.com, got {base_url!r}")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
        raise ValueError(f"Teams only talks to bots over HTTPS; use an https:// base URL, got {base_url!r}")
    if not _HOST.match(parts.hostname):
        raise ValueError(f"{parts.hostname!r} in the base URL is not a valid host name")
    return parts.hostname


def _fill(node: Any, values: dict[str, str]) -> Any:
    """Replace ``{{KEY}}`` placeholders in every string of the template."""
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str):
        for key, value in values.items():
            node = node.replace("{{" + key + "}}", value)
    return node


def load_template(template_dir: Path = MANIFEST_DIR) -> dict[str, Any]:
    """The raw template; a missing folder is named, since the wheel does not carry ``manifest/``."""
    path = template_dir / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"no Teams manifest template at {path}; run from a checkout of invoice-capture "
                                f"or pass the folder that holds manifest.json, color.png and outline.png")
    return json.loads(path.read_text(encoding="utf-8"))


def build_manifest(app_id: str, *, name: str = "Invoice Capture", base_url: str | None = None,
                   version: str = APP_VERSION, template_dir: Path = MANIFEST_DIR) -> dict[str, Any]:
    """The manifest for one bot registration: app id, bot id and SSO app id are the same Entra app.

    ``base_url`` (the service's public URL) adds its host to ``validDomains``; ``token.botframework.com`` is
    always there because the bot's sign-in (OAuth card / SSO) opens pages on it.
    """
    app_id = _check_app_id(app_id)
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("the app name must not be empty")
    if len(name) > MAX_SHORT_NAME:
        raise ValueError(f"the app name must be at most {MAX_SHORT_NAME} characters (Teams cuts longer names), "
                         f"got {len(name)}: {name!r}")
    if not _SEMVER.match(version):
        raise ValueError(f"the app version must be MAJOR.MINOR.PATCH like 1.0.0, got {version!r}")

    manifest = _fill(copy.deepcopy(load_template(template_dir)),
                     {"APP_ID": app_id, "NAME": name, "VERSION": version})
    leftover = re.findall(r"\{\{\w+\}\}", json.dumps(manifest))
    if leftover:
        raise ValueError(f"the manifest template has placeholders nobody fills: {sorted(set(leftover))}")

    domains: list[str] = list(manifest.get("validDomains", []))
    if base_url:
        host = _domain(base_url)
        if host not in domains:
            domains.insert(0, host)
    manifest["validDomains"] = domains[:MAX_VALID_DOMAINS]
    return manifest


def _check_icon(path: Path, size: tuple[int, int]) -> None:
    """Teams refuses the whole package over a wrong icon size; say which file is wrong instead."""
    if not path.is_file():
        raise FileNotFoundError(f"missing app icon {path}")
    with Image.open(path) as im:
        if im.format != "PNG" or im.size != size:
            raise ValueError(f"{path.name} must be a {size[0]}x{size[1]} PNG, it is a {im.size[0]}x{im.size[1]} "
                             f"{im.format}")


def write_package(app_id: str, out: Path, **kw: Any) -> Path:
    """Write the zip Teams accepts (manifest.json, color.png, outline.png at the root); returns its path.

    Keyword arguments go to :func:`build_manifest`. The zip is written beside its target and renamed into
    place, so a failed run never leaves a half package that Teams would reject with a vague error.
    """
    template_dir: Path = kw.get("template_dir", MANIFEST_DIR)
    manifest = build_manifest(app_id, **kw)
    icons = {manifest["icons"]["color"]: ICON_SIZES["color.png"],
             manifest["icons"]["outline"]: ICON_SIZES["outline.png"]}
    for icon, size in icons.items():
        _check_icon(template_dir / icon, size)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            entries = [("manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())]
            entries += [(icon, (template_dir / icon).read_bytes()) for icon in icons]
            for arcname, data in entries:
                info = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, data)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
