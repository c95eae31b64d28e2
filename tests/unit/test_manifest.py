"""The Teams app package: the manifest is valid against Microsoft's own schema, the zip is what Teams accepts.

The schema comes from npm ``@microsoft/app-manifest`` (``make test`` installs it); without node_modules the
schema tests skip on a developer machine and fail in CI, so a green CI run always means "validated".
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft6Validator, validators
from PIL import Image
from referencing import Registry
from referencing.jsonschema import DRAFT4

from invoice_capture import cli
from invoice_capture.manifest import MANIFEST_DIR, MANIFEST_VERSION, build_manifest, write_package
from tests.conftest import REPO, unavailable

APP_ID = "2f0c9d4e-6b1a-4c39-9e57-0d8a3b6f1c22"
SCHEMAS = REPO / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v{v}/MicrosoftTeams.schema.json"
COMMANDS = ["help", "status", "pending", "summary", "show"]
SCOPES = ["personal", "groupChat", "team"]

# The schemas declare draft-04 but use draft-06 "const" (manifestVersion): without it a manifest claiming the
# wrong version would pass, so the validator here is draft-04 plus const.
ManifestValidator = validators.extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


def _schema_dir() -> Path:
    d = SCHEMAS / f"v{MANIFEST_VERSION}"
    if (d / "MicrosoftTeams.schema.json").is_file():
        return d
    unavailable(f"Teams manifest schema missing at {d}; run `npm ci` in the repository root")


@pytest.fixture(scope="module")
def validator() -> Any:
    """Microsoft's schema for the chosen version, every sibling file registered so any $ref resolves offline."""
    d = _schema_dir()
    base = SCHEMA_URL.format(v=MANIFEST_VERSION).rsplit("/", 1)[0]
    resources = []
    schema: dict[str, Any] = {}
    for f in sorted(d.glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        doc.setdefault("id", f"{base}/{f.name}")  # draft-04 base URI, so relative and absolute refs both land
        resources.append((doc["id"], DRAFT4.create_resource(doc)))
        if f.name == "MicrosoftTeams.schema.json":
            schema = doc
    # no format check of the schema itself: its patterns are ECMAScript (\p{L}), which Python's re cannot compile;
    # none of them sits on a property this manifest uses
    ManifestValidator.check_schema(schema, format_checker=None)
    return ManifestValidator(schema, registry=Registry().with_resources(resources))


def errors(validator: Any, manifest: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


# --- the schema version ---------------------------------------------------------------------------------------

def test_template_declares_the_chosen_ga_schema() -> None:
    template = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert MANIFEST_VERSION != "devPreview" and MANIFEST_VERSION.startswith("1.")
    assert template["manifestVersion"] == MANIFEST_VERSION
    assert template["$schema"] == SCHEMA_URL.format(v=MANIFEST_VERSION)


def test_chosen_schema_ships_in_node_modules() -> None:
    d = _schema_dir()
    schema = json.loads((d / "MicrosoftTeams.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["manifestVersion"]["const"] == MANIFEST_VERSION


# --- the manifest ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("base_url", [None, "https://invoices.contoso.com/", "https://ap.example.org:8443/bot"])
def test_manifest_is_valid(validator: Any, base_url: str | None) -> None:
    m = build_manifest(APP_ID, base_url=base_url)
    assert errors(validator, m) == []


def test_manifest_content() -> None:
    m = build_manifest(APP_ID, name="AP Invoices", base_url="https://invoices.contoso.com/app", version="2.3.4")
    assert m["id"] == APP_ID and m["version"] == "2.3.4"
    assert m["name"]["short"] == "AP Invoices"
    assert "{{" not in json.dumps(m)
    (bot,) = m["bots"]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == sorted(SCOPES)
    assert bot["supportsFiles"] is True and bot["isNotificationOnly"] is False
    assert sorted(s for cl in bot["commandLists"] for s in cl["scopes"]) == sorted(SCOPES)
    for cl in bot["commandLists"]:
        assert [c["title"] for c in cl["commands"]] == COMMANDS
        assert all(c["description"] for c in cl["commands"])
    assert m["permissions"] == ["identity", "messageTeamMembers"]
    assert m["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://botid-{APP_ID}"}
    assert m["validDomains"][0] == "invoices.contoso.com"
    assert "token.botframework.com" in m["validDomains"]
    assert all(m["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_without_base_url_only_the_sign_in_domain() -> None:
    assert build_manifest(APP_ID)["validDomains"] == ["token.botframework.com"]


def test_app_id_is_normalised() -> None:
    assert build_manifest(f"  {APP_ID.upper()} ")["id"] == APP_ID


def test_validator_catches_a_broken_manifest(validator: Any) -> None:
    """The schema check must be able to fail, or the green test above proves nothing."""
    m = build_manifest(APP_ID)
    del m["bots"][0]["botId"]
    assert any("botId" in e for e in errors(validator, m))

    m = build_manifest(APP_ID)
    m["manifestVersion"] = "1.99"
    assert any(e.startswith("manifestVersion") for e in errors(validator, m))

    m = build_manifest(APP_ID)
    m["bots"][0]["scopes"].append("everywhere")
    m["accentColor"] = "blue"
    assert len(errors(validator, m)) == 2


@pytest.mark.parametrize("bad", ["not-a-guid", "", "2f0c9d4e6b1a4c399e570d8a3b6f1c22", APP_ID + "0",
                                 "{2f0c9d4e-6b1a-4c39-9e57-0d8a3b6f1c22}"])
def test_invalid_app_id_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="app id must be a GUID"):
        build_manifest(bad)


@pytest.mark.parametrize(("kw", "message"), [
    ({"name": "Invoice Capture for the Accounts Payable Team"}, "at most 30 characters"),
    ({"name": "   "}, "must not be empty"),
    ({"version": "1.0"}, "MAJOR.MINOR.PATCH"),
    ({"base_url": "invoices.contoso.com"}, "base URL must look like"),
    ({"base_url": "http://invoices.contoso.com"}, "HTTPS"),
])
def test_bad_options_refused(kw: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_manifest(APP_ID, **kw)


def test_local_http_base_url_allowed_for_development() -> None:
    assert build_manifest(APP_ID, base_url="http://localhost:3978")["validDomains"][0] == "localhost"


# --- the package ----------------------------------------------------------------------------------------------

def _read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {i.filename: z.read(i) for i in z.infolist()}


def test_package_contents(tmp_path: Path, validator: Any) -> None:
    out = write_package(APP_ID, tmp_path / "pkg" / "app.zip", base_url="https://invoices.contoso.com")
    assert out == tmp_path / "pkg" / "app.zip"
    files = _read_zip(out)
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]  # at the root, nothing else

    manifest = json.loads(files["manifest.json"])
    assert manifest == build_manifest(APP_ID, base_url="https://invoices.contoso.com")
    assert errors(validator, manifest) == []

    with Image.open(io.BytesIO(files["color.png"])) as color:
        assert (color.format, color.size) == ("PNG", (192, 192))
        rgba = color.convert("RGBA")
        assert rgba.getextrema()[3] == (255, 255), "the colour icon is full colour: no transparency"
        assert len(set(rgba.resize((48, 48)).tobytes())) > 20, "the colour icon is not a flat fill"

    with Image.open(io.BytesIO(files["outline.png"])) as outline:
        assert (outline.format, outline.size) == ("PNG", (32, 32))
        assert outline.mode == "RGBA"
        px = outline.load()
        assert px[0, 0][3] == 0 and px[31, 31][3] == 0, "the outline icon has a transparent background"
        visible = [px[x, y] for x in range(32) for y in range(32) if px[x, y][3] > 0]
        assert 30 < len(visible) < 32 * 32 // 2
        assert all(p[:3] == (255, 255, 255) for p in visible), "the outline icon is white only"
    assert not (tmp_path / "pkg" / "app.zip.part").exists()


def test_package_is_reproducible(tmp_path: Path) -> None:
    a = write_package(APP_ID, tmp_path / "a.zip").read_bytes()
    b = write_package(APP_ID, tmp_path / "b.zip").read_bytes()
    assert a == b


def test_wrong_icon_size_refused(tmp_path: Path) -> None:
    for f in ("manifest.json", "outline.png"):
        (tmp_path / f).write_bytes((MANIFEST_DIR / f).read_bytes())
    Image.new("RGB", (100, 100), "red").save(tmp_path / "color.png")
    with pytest.raises(ValueError, match=r"color\.png must be a 192x192 PNG"):
        write_package(APP_ID, tmp_path / "out.zip", template_dir=tmp_path)
    assert not (tmp_path / "out.zip").exists()


# --- the command line -----------------------------------------------------------------------------------------

def test_cli_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str], validator: Any) -> None:
    out = tmp_path / "teams.zip"
    rc = cli.main(["manifest", "--app-id", APP_ID, "--out", str(out), "--name", "AP Bot",
                   "--base-url", "https://invoices.contoso.com", "--app-version", "1.2.0"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert captured.out.strip() == str(out)
    manifest = json.loads(_read_zip(out)["manifest.json"])
    assert (manifest["name"]["short"], manifest["version"]) == ("AP Bot", "1.2.0")
    assert "invoices.contoso.com" in manifest["validDomains"]
    assert errors(validator, manifest) == []


def test_cli_default_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["manifest", "--app-id", APP_ID]) == 0
    assert capsys.readouterr().out.strip() == "invoice-capture.zip"
    assert (tmp_path / "invoice-capture.zip").is_file()


def test_cli_refuses_a_bad_app_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "teams.zip"
    rc = cli.main(["manifest", "--app-id", "my-bot", "--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    assert captured.err.startswith("invoice-capture manifest: the app id must be a GUID")
    assert "'my-bot'" in captured.err and "Traceback" not in captured.err
    assert not out.exists()


def test_cli_requires_the_app_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["manifest"])
    assert e.value.code == 2
    assert "--app-id" in capsys.readouterr().err
