"""``invoice-capture``: the command line of the service.

``extract`` prints the extraction contract for each file (JSON lines with --json, a table for people without);
``eval`` measures extraction on a labelled set. A file that cannot be read never stops the others: it gets its
error object and the exit status becomes 2 at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from invoice_capture.extraction.model import HEADER_FIELDS, ITEM_FIELDS

EXIT_UNREADABLE = 2


def _marker(conf: float) -> str:
    """The plain words the review card uses too: sure, check this, unsure."""
    if conf >= 0.9:
        return "ok"
    if conf >= 0.6:
        return "check"
    return "unsure"


def _fmt_value(v: Any) -> str:
    if isinstance(v, list):
        return "; ".join(", ".join(f"{k} {x}" for k, x in d.items()) if isinstance(d, dict) else str(d) for d in v)
    return str(v)


def format_table(out: dict[str, Any]) -> str:
    """A readable rendering of one file's result: every field with its confidence, then the items."""
    if "error" in out:
        return f"{out['file']}: cannot read ({out['error']['code']}): {out['error']['message']}"
    src = "from e-invoice data" if out.get("source") == "einvoice" else f"engine {out['engine']}"
    lines = [f"{out['file']}  ({out['pages']} page{'s' if out['pages'] != 1 else ''}, {out['doc_type']}, {src}, "
             f"{out.get('timings', {}).get('total_s', 0):.2f} s)"]
    fields = out["fields"]
    if not fields:
        lines.append("  no fields found")
    order = [n for n in HEADER_FIELDS if n in fields] + [n for n in fields if n not in HEADER_FIELDS]
    for name in order:
        f = fields[name]
        lines.append(f"  {name:<24} {_fmt_value(f['value'])[:70]:<70} {f['confidence']:.2f} {_marker(f['confidence'])}")
    if out.get("items"):
        lines.append(f"  items ({len(out['items'])}):")
        cols = [c for c in ITEM_FIELDS if any(c in it for it in out["items"])]
        lines.append("    " + " | ".join(cols))
        for it in out["items"]:
            lines.append("    " + " | ".join(
                f"{_fmt_value(it[c]['value'])[:40]} ({it[c]['confidence']:.2f})" if c in it else "-" for c in cols))
    for w in out.get("warnings", []):
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


class _Engines:
    """What ``--engine`` names, as one ``read(path) -> contract JSON`` for extract and eval.

    ``azure`` and ``chain`` read the service's settings (AZURE_DI_ENDPOINT, AZURE_DI_KEY, ...) and, for the chain,
    the tenant's ``extraction`` section of the policy file (POLICY_FILE, else DATA_DIR/policy.yaml)."""

    def __init__(self, args: argparse.Namespace) -> None:
        from invoice_capture.extraction.engine import IsolatedExtractor

        self.engine = getattr(args, "engine", "local")
        self.einvoice = not args.no_einvoice
        self.local = IsolatedExtractor(timeout_s=args.timeout)
        self.tenant = getattr(args, "tenant", None) or ""
        self.azure: Any = None
        self.chain: Any = None
        if self.engine in ("azure", "chain"):
            from invoice_capture.config import Settings
            from invoice_capture.extraction.service_chain import azure_engine

            settings = Settings()
            self.tenant = self.tenant or settings.default_tenant
            self.azure = azure_engine(settings)
            if self.azure is None and self.engine == "azure":
                raise SystemExit("invoice-capture: --engine azure needs AZURE_DI_ENDPOINT (and AZURE_DI_KEY, or an "
                                 "Azure identity) in the environment or .env")
            if self.engine == "chain":
                from invoice_capture.extraction.chain import ChainExtractor
                from invoice_capture.extraction.policy_file import PolicyChains
                from invoice_capture.extraction.vendor_rules import text_layer_pages

                async def words(path: Path) -> list[Any]:
                    return text_layer_pages(path)

                self.chain = ChainExtractor(self, self.azure, config_for=PolicyChains(settings.policy_path),
                                            words_for=words)

    async def extract(self, path: Path, name: str) -> dict[str, Any]:
        """The local engine, as the chain calls it (in a thread: the worker's pipe blocks)."""
        import asyncio

        return await asyncio.to_thread(self.local.extract, str(path), einvoice=self.einvoice, name=name)

    def read(self, path: str) -> dict[str, Any]:
        import asyncio

        if self.engine == "azure":
            return asyncio.run(self.azure.analyze(path, path, tenant_id=self.tenant))
        if self.engine == "chain":
            return asyncio.run(self.chain.extract(Path(path), path, tenant_id=self.tenant))
        return self.local.extract(path, einvoice=self.einvoice)

    def close(self) -> None:
        self.local.close()


def cmd_extract(args: argparse.Namespace) -> int:
    status = 0
    engines = _Engines(args)
    try:
        for path in args.files:
            out = engines.read(path)
            if "error" in out:
                status = EXIT_UNREADABLE
            if args.json:
                if not args.content:
                    out.pop("content", None)
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(format_table(out) + "\n\n")
            sys.stdout.flush()
    finally:
        engines.close()
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    from invoice_capture.extraction.evaluate import evaluate, format_report

    labels = Path(args.labels)
    if not labels.is_file():
        sys.stderr.write(f"no labels file at {labels}\n")
        return EXIT_UNREADABLE
    engines = _Engines(args)
    try:
        rep = evaluate(labels, engines.read, only=args.only or None)
    finally:
        engines.close()
    if args.json:
        sys.stdout.write(json.dumps(rep.to_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_report(rep, verbose=args.misses) + "\n")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from invoice_capture.manifest import APP_VERSION, write_package

    try:
        out = write_package(args.app_id, Path(args.out), name=args.name, base_url=args.base_url,
                            version=args.app_version or APP_VERSION)
    except (ValueError, OSError) as e:
        sys.stderr.write(f"invoice-capture manifest: {e}\n")
        return EXIT_UNREADABLE
    sys.stdout.write(f"{out}\n")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """List users or set a role, in the database the service uses (settings DATA_DIR / DATABASE_URL)."""
    import asyncio

    from invoice_capture.config import Settings
    from invoice_capture.store import repository as repo
    from invoice_capture.store.db import Database

    settings = Settings()
    tenant = args.tenant or settings.default_tenant

    async def run() -> int:
        db = Database(settings.db_url)
        try:
            await db.migrate()
            if args.action == "set-role":
                async with db.write() as s:
                    try:
                        user = await repo.set_role(s, tenant, args.user, args.role, args.name or "")
                    except ValueError as e:
                        sys.stderr.write(f"invoice-capture users: {e}\n")
                        return EXIT_UNREADABLE
                    sys.stdout.write(f"{user.name} ({user.external_id}) is now {user.role} in {tenant}\n")
                return 0
            async with db.read() as s:
                users = await repo.users_with_roles(s, tenant, repo.ROLES)
            for u in users:
                sys.stdout.write(f"{u.role:9s} {u.name:30s} {u.external_id}\n")
            if not users:
                sys.stdout.write(f"no users in tenant {tenant!r} yet (they appear when they first talk to the bot)\n")
            return 0
        finally:
            await db.close()

    return asyncio.run(run())


def cmd_vendors(args: argparse.Namespace) -> int:
    """Import the vendor master from a CSV file, or list it (settings DATA_DIR / DATABASE_URL, like `users`).

    The file is read and checked before the database is touched: a file that cannot be read or has no usable
    line changes nothing (exit 2). Bad lines are listed and skipped; the good ones are still imported.
    """
    import asyncio

    from invoice_capture.config import Settings
    from invoice_capture.review.vendors import VendorRecord, read_csv
    from invoice_capture.store import repository as repo
    from invoice_capture.store.db import Database

    settings = Settings()
    tenant = args.tenant or settings.default_tenant
    records: list[VendorRecord] = []
    errors: list[str] = []
    if args.vendors_action == "import":
        path = Path(args.file)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as e:
            sys.stderr.write(f"invoice-capture vendors: cannot read {path}: {e.strerror or e}\n")
            return EXIT_UNREADABLE
        except UnicodeDecodeError:
            sys.stderr.write(f"invoice-capture vendors: {path} is not UTF-8 text; save it as CSV UTF-8 "
                             "(Excel: Save as -> CSV UTF-8)\n")
            return EXIT_UNREADABLE
        records, errors = read_csv(text)
        if not records:
            sys.stderr.write(f"invoice-capture vendors: nothing imported, {path} has no usable vendor line:\n")
            sys.stderr.write("".join(f"  {e}\n" for e in errors))
            return EXIT_UNREADABLE

    async def run() -> int:
        db = Database(settings.db_url)
        try:
            await db.migrate()
            if args.vendors_action == "import":
                # with bad lines, "absent from the file" may just mean "on a line that was skipped": remove nothing
                replace = args.replace and not errors
                async with db.write() as s:
                    res = await repo.import_vendors(s, tenant, records, replace=replace)
                n = res.created + res.updated
                head = f"imported {n} vendor{'s' if n != 1 else ''} ({res.created} new, {res.updated} updated)"
                out = [head + (f"; {len(errors)} line{'s' if len(errors) != 1 else ''} skipped:" if errors else "")]
                out += [f"  {e}" for e in errors]
                out += [f"  {p}" for p in res.problems]
                if args.replace and errors:
                    out.append("nothing removed: fix the skipped lines and import again with --replace")
                elif replace:
                    out.append(f"removed {res.removed} vendor{'s' if res.removed != 1 else ''} not in the file")
                    out += [f"  {k}" for k in res.kept]
                sys.stdout.write("\n".join(out) + "\n")
                return 0 if n or not (errors or res.problems) else EXIT_UNREADABLE
            async with db.read() as s:
                vendors = await repo.list_vendors(s, tenant)
            for v in vendors:
                also = f"  (also: {', '.join(v.aliases)})" if v.aliases else ""
                sys.stdout.write(f"{v.id:>5}  {v.name:32s} {v.tax_id or '-':16s} {v.iban or '-':34s} "
                                 f"{v.currency or '-':3s}  {v.default_approver or '-'}{also}\n")
            if not vendors:
                sys.stdout.write(f"no vendors in tenant {tenant!r} yet (add them with "
                                 "`invoice-capture vendors import FILE.csv`)\n")
            return 0
        finally:
            await db.close()

    return asyncio.run(run())


EXIT_BROKEN = 1


def cmd_sources(args: argparse.Namespace) -> int:
    """Add, list or remove the SharePoint folders and mailboxes watched through Microsoft Graph (issue 5).

    Added sources are subscribed at once when Graph is configured (GRAPH_CLIENT_ID, GRAPH_PUBLIC_URL); otherwise
    the service subscribes them when it starts. Removing one deletes its Graph subscription too.
    """
    import asyncio

    from invoice_capture.config import Settings
    from invoice_capture.store import repository as repo
    from invoice_capture.store import sources as store
    from invoice_capture.store.db import Database

    settings = Settings()
    tenant = args.tenant or settings.default_tenant

    def watcher(db: Database) -> Any:
        if not settings.graph_enabled:
            return None
        from invoice_capture.ingest.graph.client import clients_for
        from invoice_capture.ingest.graph.watch import GraphWatch

        return GraphWatch(db, None, clients_for(settings.graph_client_id, settings.graph_client_secret,
                                                default_tenant=settings.graph_tenant_id,
                                                base_url=settings.graph_base_url),
                          public_url=settings.graph_public_url)

    async def run() -> int:
        db = Database(settings.db_url)
        watch = watcher(db)
        try:
            await db.migrate()
            if args.sources_action == "add":
                async with db.write() as s:
                    try:
                        src = await store.add_source(
                            s, tenant, kind="drive" if args.drive else "mailbox", target=args.target or "",
                            drive_id=args.drive or "", folder=args.folder or "/", mailbox=args.mailbox or "",
                            mail_folder=args.mail_folder or "", include_existing=args.include_existing)
                    except store.SourceError as e:
                        sys.stderr.write(f"invoice-capture sources: {e}\n")
                        return EXIT_UNREADABLE
                    source_id, shown = src.id, store.describe(src)
                    known = await repo.conversation_reference(s, tenant, src.target_conversation_id) is not None
                sys.stdout.write(f"added source #{source_id}: {shown['where']} -> {shown['target']}\n")
                if not known:
                    sys.stdout.write("  note: the bot is not in that conversation yet; add it there (cards wait "
                                     "until then)\n")
                if watch is None:
                    sys.stdout.write("  Graph is not configured (GRAPH_CLIENT_ID): it is watched once it is\n")
                    return 0
                await watch.ensure(source_id)
                async with db.read() as s:
                    src = await store.get_source(s, source_id)
                    shown = store.describe(src) if src else shown
                if shown["status"] == "error":
                    sys.stdout.write(f"  not subscribed yet: {shown['last_error']} (the service retries)\n")
                    return 1
                sys.stdout.write(f"  subscribed until {shown['subscription_expires'] or '-'}\n")
                return 0
            if args.sources_action == "remove":
                async with db.write() as s:
                    src = await store.remove_source(s, tenant, args.id)
                    if src is None:
                        sys.stderr.write(f"invoice-capture sources: no source #{args.id} in tenant {tenant!r}\n")
                        return EXIT_UNREADABLE
                    sub_id, src_tenant = src.subscription_id, src.tenant_id
                if watch is not None and sub_id:
                    from invoice_capture.ingest.graph.client import GraphError

                    try:
                        await watch.client(src_tenant).delete_subscription(sub_id)
                    except GraphError as e:
                        if not e.gone:
                            sys.stdout.write(f"  the Graph subscription could not be deleted ({e.message}); it "
                                             "expires by itself and its notifications are ignored\n")
                sys.stdout.write(f"removed source #{args.id}\n")
                return 0
            async with db.read() as s:
                listed = await store.listed(s, None if args.all else tenant)
            for r in listed:
                sys.stdout.write(f"#{r['id']:<4} {r['tenant']:12s} {r['where']} -> {r['target']}  [{r['status']}, "
                                 f"{r['taken']} taken, subscribed until {r['subscription_expires'] or '-'}]\n")
                if r["last_error"]:
                    sys.stdout.write(f"      last error: {r['last_error']}\n")
            if not listed:
                sys.stdout.write(f"no sources in tenant {tenant!r} (add one with `invoice-capture sources add`)\n")
            return 0
        finally:
            if watch is not None:
                await watch.stop()
            await db.close()

    return asyncio.run(run())


def _day(value: str) -> Any:
    """argparse type for --from/--to: a calendar day, YYYY-MM-DD (UTC)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the audit hash chains (exit 1 when one is broken) or export a period's events as JSON, CSV or OSCAL.

    Unlike `users`, no tenant default: without --tenant every tenant is covered, because an auditor asks about the
    whole log. An export to --out is written beside the target and renamed at the end, so a failed run never leaves
    a half-written evidence file behind.
    """
    import asyncio
    import os

    from invoice_capture.audit.export import Period, export
    from invoice_capture.audit.verify import verify
    from invoice_capture.config import Settings
    from invoice_capture.store.db import Database

    settings = Settings()
    period = None
    if args.audit_action == "export":
        try:
            period = Period(args.start, args.end)
        except ValueError as e:
            sys.stderr.write(f"invoice-capture audit: {e}\n")
            return EXIT_UNREADABLE

    async def run() -> int:
        db = Database(settings.db_url)
        try:
            await db.migrate()
            if args.audit_action == "verify":
                async with db.read() as s:
                    result = await verify(s, args.tenant)
                for chain in result.tenants:
                    sys.stdout.write(chain.describe() + "\n")
                if not result.tenants:
                    sys.stdout.write("no audit events yet: nothing to verify\n")
                for name, present in result.guards.items():
                    if not present:
                        sys.stderr.write(f"warning: trigger {name} is missing: the database no longer refuses "
                                         "changes to audit events\n")
                return 0 if result.intact else EXIT_BROKEN
            assert period is not None
            if not args.out:
                async with db.read() as s:
                    summary = await export(s, args.format, sys.stdout, period, args.tenant)
            else:
                target = Path(args.out)
                part = target.with_name(target.name + ".part")
                try:
                    with part.open("w", encoding="utf-8", newline="") as fh:
                        async with db.read() as s:
                            summary = await export(s, args.format, fh, period, args.tenant)
                    os.replace(part, target)
                except OSError as e:
                    sys.stderr.write(f"invoice-capture audit: cannot write {target}: {e.strerror or e}\n")
                    return EXIT_UNREADABLE
                finally:
                    part.unlink(missing_ok=True)
                sys.stderr.write(f"exported {summary.events} event{'s' if summary.events != 1 else ''} "
                                 f"({args.format}) to {target}\n")
            if summary.verification is not None and not summary.verification.intact:
                sys.stderr.write("warning: an audit chain is broken (see `invoice-capture audit verify`); the OSCAL "
                                 "findings record AU-9 as not satisfied\n")
            return 0
        finally:
            await db.close()

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="invoice-capture", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="extract invoice fields from files")
    ex.add_argument("files", nargs="+", help="PDF, image (PNG/JPEG/TIFF...) or e-invoice XML files")
    ex.add_argument("--json", action="store_true", help="one JSON object per line, per file")
    ex.add_argument("--no-einvoice", action="store_true", help="ignore embedded/structured e-invoice XML")
    ex.add_argument("--engine", choices=["local", "azure", "chain"], default="local",
                    help="local (default), azure (Azure Document Intelligence), or chain (the tenant's chain)")
    ex.add_argument("--tenant", help="--engine chain/azure: tenant whose chain and rate limit apply")
    ex.add_argument("--content", action="store_true", help="include the full text ('content') in --json output")
    ex.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per file (default 120)")
    ex.set_defaults(func=cmd_extract)

    ev = sub.add_parser("eval", help="measure extraction on a labelled set (labels.jsonl)")
    ev.add_argument("labels", help="labels.jsonl; file paths in it are relative to its folder")
    ev.add_argument("--no-einvoice", action="store_true", help="measure the visual path only")
    ev.add_argument("--json", action="store_true", help="machine-readable report")
    ev.add_argument("--only", action="append", help="score only this file (repeatable)")
    ev.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per file (default 120)")
    ev.add_argument("--misses", action="store_true", help="list every miss")
    ev.add_argument("--engine", choices=["local", "azure", "chain"], default="local", help="engine to measure")
    ev.add_argument("--tenant", help="--engine chain/azure: tenant whose chain applies")
    ev.set_defaults(func=cmd_eval)

    mf = sub.add_parser("manifest", help="build the Teams app package (manifest.json + icons, zipped)")
    mf.add_argument("--app-id", required=True, help="Microsoft App ID (GUID) of the Azure Bot registration")
    mf.add_argument("--out", default="invoice-capture.zip", help="zip to write (default invoice-capture.zip)")
    mf.add_argument("--name", default="Invoice Capture", help="app name shown in Teams (at most 30 characters)")
    mf.add_argument("--base-url", help="public URL of the service, e.g. https://invoices.contoso.com")
    mf.add_argument("--app-version", help="app version MAJOR.MINOR.PATCH; raise it for every update Teams installs "
                    "(default: the package version)")
    mf.set_defaults(func=cmd_manifest)

    us = sub.add_parser("users", help="list users and their roles, or set a role (clerk, approver, manager, admin)")
    us.add_argument("action", choices=["list", "set-role"])
    us.add_argument("user", nargs="?", help="set-role: the user's Entra object id (as shown by `users list`)")
    us.add_argument("role", nargs="?", choices=["clerk", "approver", "manager", "admin"])
    us.add_argument("--name", help="set-role: display name, for a user who has not talked to the bot yet")
    us.add_argument("--tenant", help="tenant id (default: settings DEFAULT_TENANT; Teams users: their tenant id)")
    us.set_defaults(func=cmd_users)

    vd = sub.add_parser("vendors", help="import the vendor master from a CSV file, or list it")
    vsub = vd.add_subparsers(dest="vendors_action", required=True)
    vi = vsub.add_parser("import", help="add or update vendors from a CSV file (columns: name, aliases, tax_id, "
                         "iban, currency, default_approver)")
    vi.add_argument("file", help="CSV file, UTF-8, comma or semicolon separated, with a header row")
    vi.add_argument("--replace", action="store_true",
                    help="also remove vendors not in the file (those invoices refer to are kept)")
    vi.add_argument("--tenant", help="tenant id (default: settings DEFAULT_TENANT)")
    vl = vsub.add_parser("list", help="list the vendor master")
    vl.add_argument("--tenant", help="tenant id (default: settings DEFAULT_TENANT)")
    vd.set_defaults(func=cmd_vendors)

    so = sub.add_parser("sources", help="SharePoint folders and mailboxes watched through Microsoft Graph")
    ssub = so.add_subparsers(dest="sources_action", required=True)
    sa = ssub.add_parser("add", help="watch a SharePoint folder (--drive, --folder) or a mailbox (--mailbox)")
    where = sa.add_mutually_exclusive_group(required=True)
    where.add_argument("--drive", help="the document library's drive id (Graph: /sites/{site}/drives)")
    where.add_argument("--mailbox", help="shared mailbox or user: address or Entra object id")
    sa.add_argument("--folder", default="/", help="folder under the drive root, e.g. /Invoices (default: root)")
    sa.add_argument("--mail-folder", default="", help="mail folder id or well-known name (default: inbox)")
    sa.add_argument("--target", required=True,
                    help="Teams conversation id the cards go to (`admin sources` in that chat or channel shows it)")
    sa.add_argument("--include-existing", action="store_true",
                    help="also read the files/messages already there (default: only new ones)")
    sa.add_argument("--tenant", help="tenant id (default: settings DEFAULT_TENANT)")
    sl = ssub.add_parser("list", help="list the sources, their state and subscription")
    sl.add_argument("--tenant", help="tenant id (default: settings DEFAULT_TENANT)")
    sl.add_argument("--all", action="store_true", help="every tenant's sources")
    sr = ssub.add_parser("remove", help="stop watching a source (and delete its Graph subscription)")
    sr.add_argument("id", type=int)
    sr.add_argument("--tenant", help="tenant id (default: settings DEFAULT_TENANT)")
    so.set_defaults(func=cmd_sources)

    au = sub.add_parser("audit", help="verify the tamper-evident audit log, or export it (JSON, CSV, OSCAL)")
    asub = au.add_subparsers(dest="audit_action", required=True)
    av = asub.add_parser("verify", help="walk each tenant's hash chain; exit 1 and name the first broken link")
    av.add_argument("--tenant", help="verify this tenant only (default: every tenant with audit events)")
    ae = asub.add_parser("export", help="write the events of a period (UTC days, both included)")
    ae.add_argument("--format", choices=["json", "csv", "oscal"], required=True,
                    help="json: event list with hashes; csv: flat rows; oscal: OSCAL assessment results (AU controls)")
    ae.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD", help="first day")
    ae.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD", help="last day (included)")
    ae.add_argument("--tenant", help="export this tenant only (default: all tenants)")
    ae.add_argument("--out", help="file to write (default: standard output)")
    au.set_defaults(func=cmd_audit)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "set-role" and not (args.user and args.role):
        parser.error("users set-role needs a user id and a role")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
