"""The ``iwmo`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from app.config import Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _build() -> argparse.ArgumentParser:
    parser = _Parser(prog="iwmo", description="iWmo 3.2 message hub: validate, record, route.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser(
        "validate",
        help="check iWmo files against the schema and message rules",
        description="Check each file on its own. Exit 0 when every file is clean, "
        "1 when any has a finding, 2 on usage or I/O errors.",
    )
    v.add_argument("--json", action="store_true", help="one JSON object per line and file")
    v.add_argument("files", nargs="+", metavar="FILE", help="message files; - reads stdin")
    v.set_defaults(func=_validate)

    ru = sub.add_parser("rules", help="list the message rules the service checks")
    ru.add_argument("--json", action="store_true", help="one JSON object per rule")
    ru.add_argument("--markdown", action="store_true", help="a Markdown table (for the README)")
    ru.add_argument("--message", help="only rules for this message type, e.g. WMO301")
    ru.add_argument(
        "--scope",
        choices=["message", "administration", "external"],
        help="only rules that look at the message alone, at the administration, "
        "or at an external source",
    )
    ru.set_defaults(func=_rules)

    s = sub.add_parser("schemas", help="write the project XSDs, or check they are current")
    s.add_argument("--out", type=Path, default=None, help="directory (default: schemas/)")
    s.add_argument("--check", action="store_true", help="fail when schemas/ is out of date")
    s.set_defaults(func=_schemas)

    d = sub.add_parser("db", help="database schema")
    dsub = d.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    up = dsub.add_parser("upgrade", help="bring the database schema up to date (Alembic)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_db_upgrade)

    p = sub.add_parser("participant", help="municipalities, providers and operators")
    psub = p.add_subparsers(dest="participant_command", required=True, parser_class=_Parser)
    add = psub.add_parser("add", help="register a participant; prints its new API key only")
    add.add_argument(
        "--code",
        required=True,
        help="CBS code (municipality), AGB code (provider) or operator name",
    )
    add.add_argument(
        "--role",
        required=True,
        choices=["municipality", "main_contractor", "subcontractor", "provider", "operator"],
    )
    add.add_argument("--name", required=True)
    add.add_argument(
        "--allow-unknown-municipality",
        action="store_true",
        help="accept a municipality code missing from the CBS list",
    )
    add.set_defaults(func=_participant_add)
    rot = psub.add_parser("rotate-key", help="give a participant a new API key (printed)")
    rot.add_argument("--code", required=True)
    rot.set_defaults(func=_participant_rotate)
    ls = psub.add_parser("list", help="list participants (never their keys)")
    ls.set_defaults(func=_participant_list)

    pc = sub.add_parser("product-codes", help="the product code lists TR381 checks against")
    pcsub = pc.add_subparsers(dest="product_codes_command", required=True, parser_class=_Parser)
    imp = pcsub.add_parser(
        "import",
        help="load a CSV file (categorie,code,omschrijving)",
        description="Replace the codes of every category the file names (or, with --replace, "
        "the whole list) on the lists of the municipalities given, or on the service-wide "
        "default without --gemeente. A file with any bad line changes nothing. Running "
        "services see the change within 30 seconds.",
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="CSV file; - reads stdin")
    imp.add_argument(
        "--gemeente",
        action="append",
        metavar="CBS",
        help="the municipality's own list (repeat for several); default: the service-wide list",
    )
    imp.add_argument("--replace", action="store_true", help="replace the whole list")
    imp.set_defaults(func=_product_codes_import)
    pls = pcsub.add_parser(
        "list",
        help="print a list as CSV",
        description="Print the service-wide default list, or with --gemeente the list TR381 "
        "applies to that municipality (per category its own codes, or else the default's), "
        "or with --own only the codes it has of its own.",
    )
    pls.add_argument("--gemeente", metavar="CBS", help="the list of this municipality")
    pls.add_argument("--own", action="store_true", help="only the municipality's own codes")
    pls.add_argument("--categorie", help="only this ProductCategorie, e.g. 02")
    pls.set_defaults(func=_product_codes_list)

    ct = sub.add_parser("contract", help="contracts and function catalogues")
    ctsub = ct.add_subparsers(dest="contract_command", required=True, parser_class=_Parser)
    cload = ctsub.add_parser(
        "load",
        help="load participants, catalogues and contracts from a TOML or JSON file",
        description="Check the whole file, then load it in one transaction: a file with any "
        "problem changes nothing (exit 2, every problem on stderr). A loaded catalogue "
        "version never changes; contracts are created or replaced by key. Running services "
        "see the change within 30 seconds.",
    )
    cload.add_argument("file", type=Path, metavar="FILE", help="a .toml or .json file")
    cload.add_argument("--dry-run", action="store_true", help="check and report, but write nothing")
    cload.set_defaults(func=_contract_load)
    cls = ctsub.add_parser("list", help="one line per contract")
    cls.set_defaults(func=_contract_list)
    cshow = ctsub.add_parser("show", help="print a contract as JSON, in the file format")
    cshow.add_argument("key", metavar="KEY")
    cshow.set_defaults(func=_contract_show)

    rp = sub.add_parser(
        "reprocess",
        help="finish messages a stopped worker stored but never judged",
        description="Judge every message still waiting (stored, never judged: its worker "
        "stopped), exactly once: a message another worker finishes meanwhile is skipped. "
        "Safe to run at any time, also while the service runs.",
    )
    rp.add_argument(
        "--older-than",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="only messages received at least this long ago (default 60), so messages "
        "being judged right now are left to their worker",
    )
    rp.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no new message after this long (the rest wait for the next run), so "
        "that a start-up is never held up for long",
    )
    rp.add_argument(
        "--retry-set-aside",
        action="store_true",
        help="try the messages set aside again (after a fix), with their attempts counted afresh",
    )
    rp.set_defaults(func=_reprocess)

    dm = sub.add_parser(
        "demo",
        help="build the Amersfoort region and run a simulated year of traffic through the API",
        description="Load regions/amersfoort.toml, give every party an API key, create "
        "synthetic clients (2,212 by default, as in the region's 2024 figures) and run 2027 "
        "through the service's HTTP API, the service's clock following the simulated "
        "calendar; then print a summary. Refuses a database that already holds messages "
        "unless --force. Exit 0 when everything went as planned, 1 when the service refused "
        "something unplanned, 2 when the demo could not run.",
    )
    dm.add_argument(
        "--clients",
        type=int,
        default=2212,
        metavar="N",
        help="number of clients (default 2212); fewer keeps every proportion",
    )
    dm.add_argument("--seed", type=int, default=2027, help="random seed (default 2027)")
    dm.add_argument(
        "--force", action="store_true", help="add to a database that already holds messages"
    )
    dm.add_argument("--json", action="store_true", help="the summary as one JSON object")
    dm.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes running the traffic (default: 2 on two or more cores)",
    )
    dm.add_argument(
        "--keys",
        type=Path,
        default=Path("demo-keys.json"),
        metavar="FILE",
        help="where the parties' API keys are written, readable by you only "
        "(default demo-keys.json)",
    )
    dm.set_defaults(func=_demo)

    ex = sub.add_parser(
        "examples",
        help="the sample messages among the demo's parties: write them, or post them in order",
    )
    exsub = ex.add_subparsers(dest="examples_command", required=True, parser_class=_Parser)
    ew = exsub.add_parser(
        "write",
        help="write the sample messages and their README into a directory",
        description="Write the sample chains (examples/ in the project) into DIR. With "
        "--check, write nothing and exit 1 when DIR differs from them.",
    )
    ew.add_argument("directory", type=Path, metavar="DIR")
    ew.add_argument("--check", action="store_true", help="fail when DIR is out of date")
    ew.set_defaults(func=_examples_write)
    ep = exsub.add_parser(
        "post",
        help="post the sample messages in order to a running service, each with its poster's key",
        description="Post both sample chains to the service at --url, each message with its "
        "poster's key from --keys (the file iwmo demo writes), building the answers to what "
        "the service writes itself (the delegated allocation, the relay). Exit 0 when every "
        "step was accepted, 1 when one was not, 2 when the chain could not be posted.",
    )
    ep.add_argument(
        "--url", default="http://127.0.0.1:8000", help="the service (default %(default)s)"
    )
    ep.add_argument(
        "--keys",
        type=Path,
        default=Path("demo-keys.json"),
        metavar="FILE",
        help="the parties' API keys, as iwmo demo writes them (default demo-keys.json)",
    )
    ep.add_argument("--json", action="store_true", help="one JSON object per step")
    ep.set_defaults(func=_examples_post)

    k = sub.add_parser(
        "new-secret-key", help="print a new random IWMO_SECRET_KEY (base64 of 32 bytes)"
    )
    k.set_defaults(func=_new_secret_key)

    sk = sub.add_parser(
        "secret-key",
        help="the key that encrypts personal data: check it against the database, or change it",
    )
    sksub = sk.add_subparsers(dest="secret_key_command", required=True, parser_class=_Parser)
    skc = sksub.add_parser(
        "check",
        help="check that the configured key is the one the database's data is encrypted with",
        description="Compare the configured key (IWMO_SECRET_KEY, or the development key "
        "file) with the fingerprint the database keeps; writes nothing. Exit 0 when it is "
        "the key, 1 when it is not (or is missing or malformed), 2 when the database cannot "
        "be checked.",
    )
    skc.set_defaults(func=_secret_key_check)
    skr = sksub.add_parser(
        "rotate",
        help="re-encrypt all personal data under a new key (stop the service first)",
        description="With the service stopped: decrypt every stored ciphertext with the "
        "configured key and encrypt it with the new one, recompute every keyed BSN hash, and "
        "record the new key's fingerprint, in one transaction (a failure changes nothing). "
        "Refused when the configured key is not the one the data is encrypted with. The new "
        "key comes from --new-key-file or IWMO_NEW_SECRET_KEY (make one with iwmo "
        "new-secret-key). Exit 0 when done, 1 when the configured key does not fit, 2 on "
        "usage or database errors.",
    )
    skr.add_argument(
        "--new-key-file",
        type=Path,
        metavar="FILE",
        help="file holding the new key (base64 of 32 bytes); else IWMO_NEW_SECRET_KEY",
    )
    skr.set_defaults(func=_secret_key_rotate)

    r = sub.add_parser("serve", help="run the HTTP service")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, default=8000)
    r.add_argument("--workers", type=int, default=1)
    r.set_defaults(func=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from app.validation import Validator

    try:
        validator = Validator(Settings.from_env())
    except (OSError, ValueError) as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for name in args.files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            print(f"iwmo: {name}: {exc.strerror or exc}", file=sys.stderr)
            if args.json:
                print(
                    json.dumps(
                        {
                            "file": name,
                            "message": None,
                            "schema_valid": False,
                            "findings": [],
                            "error": exc.strerror or str(exc),
                        }
                    )
                )
            status = EXIT_USAGE
            continue
        report = validator.check(data)
        if not report.clean and status == EXIT_OK:
            status = EXIT_FINDINGS
        if args.json:
            print(json.dumps(report.as_json(file=name), ensure_ascii=False))
            continue
        kind = report.message_type.name if report.message_type else "not an iWmo 3.2 message"
        if report.clean:
            print(f"{name}: {kind}: ok")
            continue
        count = len(report.findings)
        print(f"{name}: {kind}: {count} finding{'s' if count != 1 else ''}")
        for f in report.findings:
            line = f" (line {f.line})" if f.line else ""
            print(f"  {f.rule:<6} {f.return_code}  {f.path}: {f.message}{line}")
    return status


def _rules(args: argparse.Namespace) -> int:
    import app.administration.rules  # noqa: F401  (registers the administration rules)
    from app.rules.registry import REGISTRY
    from app.standard import catalogue

    rules = sorted(REGISTRY.values(), key=lambda r: r.code)
    if args.message:
        try:
            name = catalogue.get(args.message).name
        except KeyError as exc:
            print(f"iwmo: {exc.args[0]}", file=sys.stderr)
            return EXIT_USAGE
        rules = [r for r in rules if name in r.messages]
    if args.scope:
        rules = [r for r in rules if r.scope == args.scope]
    if args.json:
        for r in rules:
            print(
                json.dumps(
                    {
                        "code": r.code,
                        "messages": list(r.messages),
                        "return_code": r.return_code,
                        "scope": r.scope,
                        "level": r.level,
                        "summary": r.summary,
                        "decision": r.decision or None,
                        "covers": r.covers,
                    },
                    ensure_ascii=False,
                )
            )
    elif args.markdown:
        print("| rule | scope | messages | return code | what it checks | elements it reads |")
        print("|---|---|---|---|---|---|")
        for r in rules:
            messages = ", ".join(m[3:] for m in r.messages)
            note = f" *Reading:* {r.decision}" if r.decision else ""
            code = r.return_code or "—"
            print(
                f"| {r.code} | {r.scope} | {messages} | {code} | {r.summary}.{note} | {r.covers} |"
            )
    else:
        for r in rules:
            print(
                f"{r.code}  {r.return_code or '-':<4}  {r.scope:<14} "
                f"{','.join(r.messages):<55} {r.summary}"
            )
        print(f"{len(rules)} rules", file=sys.stderr)
    return EXIT_OK


def _schemas(args: argparse.Namespace) -> int:
    from app.standard import schema, xsdgen

    target = args.out or schema.PROJECT_SCHEMAS
    if args.check:
        stale = [
            name
            for name, content in xsdgen.generate().items()
            if not (target / name).is_file() or (target / name).read_bytes() != content
        ]
        for name in stale:
            print(f"out of date: {target / name}", file=sys.stderr)
        return EXIT_FINDINGS if stale else EXIT_OK
    for path in xsdgen.write(target):
        print(path)
    return EXIT_OK


def _db_upgrade(args: argparse.Namespace) -> int:
    from app.administration.db import Database

    settings = Settings.from_env()
    database = Database(settings.database_url)
    database.upgrade(args.revision)
    print(f"database schema at {args.revision}", file=sys.stderr)
    return EXIT_OK


def _participant_add(args: argparse.Namespace) -> int:
    from app.administration import participants
    from app.administration.db import Database

    settings = Settings.from_env()
    database = Database(settings.database_url)
    try:
        with database.write() as s:
            _, key = participants.add(
                s,
                args.code,
                args.role,
                args.name,
                allow_unknown_municipality=args.allow_unknown_municipality,
                extra_municipalities=settings.extra_municipality_codes,
            )
    except participants.ParticipantError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(key)
    return EXIT_OK


def _participant_rotate(args: argparse.Namespace) -> int:
    from app.administration import participants
    from app.administration.db import Database

    database = Database(Settings.from_env().database_url)
    try:
        with database.write() as s:
            key = participants.rotate_key(s, args.code)
    except participants.ParticipantError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(key)
    return EXIT_OK


def _participant_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.administration.db import Database
    from app.administration.models import Participant

    database = Database(Settings.from_env().database_url)
    with database.read() as s:
        for p in s.scalars(select(Participant).order_by(Participant.code)):
            state = "" if p.active else "  (inactive)"
            print(f"{p.code:<10} {p.role:<16} {p.name}{state}")
    return EXIT_OK


def _product_codes_import(args: argparse.Namespace) -> int:
    from app.administration import product_codes
    from app.administration.db import Database

    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
        entries = product_codes.parse(text)
    except (OSError, UnicodeDecodeError, product_codes.ProductCodeError) as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    lists = args.gemeente or [product_codes.DEFAULT]
    database = Database(Settings.from_env().database_url)
    try:
        with database.write() as s:
            for gemeente in lists:
                count = product_codes.load(s, entries, gemeente=gemeente, everything=args.replace)
    except product_codes.ProductCodeError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    categories = ", ".join(sorted({e.categorie for e in entries})) or "-"
    for gemeente in lists:
        owner = f"municipality {gemeente}" if gemeente else "the service-wide list"
        print(f"{owner}: {count} product codes in categories {categories}", file=sys.stderr)
    return EXIT_OK


def _product_codes_list(args: argparse.Namespace) -> int:
    import csv

    from app.administration import product_codes
    from app.administration.db import Database

    if args.own and not args.gemeente:
        print("iwmo: --own needs --gemeente", file=sys.stderr)
        return EXIT_USAGE
    database = Database(Settings.from_env().database_url)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["categorie", "code", "omschrijving"])
    with database.read() as s:
        if args.gemeente and not args.own:
            found = product_codes.effective(s, args.gemeente, args.categorie)
        else:
            found = product_codes.listed(s, args.categorie, args.gemeente or product_codes.DEFAULT)
        for e in found:
            out.writerow([e.categorie, e.code, e.omschrijving])
    return EXIT_OK


def _contract_load(args: argparse.Namespace) -> int:
    from app.administration.db import Database
    from app.routing import contracts

    try:
        data = contracts.parse_file(args.file)
    except contracts.ConfigError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    settings = Settings.from_env()
    database = Database(settings.database_url)
    extra = settings.extra_municipality_codes
    try:
        if args.dry_run:
            with database.read() as s:
                report = contracts.load(s, data, dry_run=True, extra_municipalities=extra)
        else:
            with database.write() as s:
                report = contracts.load(s, data, extra_municipalities=extra)
    except contracts.ConfigError as exc:
        count = len(exc.problems)
        print(
            f"iwmo: {args.file}: {count} problem{'s' if count != 1 else ''}; nothing was loaded",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    for line in report.summary():
        print(line, file=sys.stderr)
    return EXIT_OK


def _contract_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from app.administration.db import Database
    from app.routing.models import Contract

    database = Database(Settings.from_env().database_url)
    with database.read() as s:
        contracts = s.scalars(
            select(Contract).options(selectinload(Contract.municipalities)).order_by(Contract.key)
        )
        for c in contracts:
            period = f"{c.begindatum}..{c.einddatum or ''}"
            municipalities = ",".join(sorted(m.municipality_code for m in c.municipalities))
            print(
                f"{c.key:<32} {c.variant:<18} {period:<22} {c.main_contractor_code:<8} "
                f"{municipalities}"
            )
    return EXIT_OK


def _contract_show(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.administration.db import Database
    from app.routing import contracts
    from app.routing.models import Contract

    database = Database(Settings.from_env().database_url)
    with database.read() as s:
        contract = s.scalar(select(Contract).where(Contract.key == args.key))
        if contract is None:
            print(f"iwmo: no contract {args.key}", file=sys.stderr)
            return EXIT_USAGE
        print(json.dumps(contracts.contract_as_dict(contract), indent=2, ensure_ascii=False))
    return EXIT_OK


def _reprocess(args: argparse.Namespace) -> int:
    import logging
    import time
    from collections import Counter

    from app.api.verdicts import http_status
    from app.services import Services

    started = time.monotonic()
    try:
        services = Services.build(Settings.from_env())
    except ValueError as exc:  # the key is missing or not this database's, or a bad setting
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    outcomes: Counter[str] = Counter()
    try:
        if args.retry_set_aside:
            outcomes["set aside tried again"] = services.intake.retry_set_aside()
        waiting = services.intake.unfinished(args.older_than)
        for message_id in waiting:
            if args.max_seconds is not None and time.monotonic() - started > args.max_seconds:
                outcomes["left for the next run"] += 1
                continue
            try:
                outcome = services.intake.reprocess(message_id)
            except Exception:
                # One message that fails must not keep the others (or a start-up) waiting:
                # its attempt is counted, and after a few it is set aside.
                logging.getLogger("app.cli").exception(
                    "reprocessing a message failed", extra={"message_id": message_id}
                )
                outcomes["failed"] += 1
                continue
            if outcome is None:
                outcomes["skipped"] += 1
            elif outcome.status == "set_aside":
                outcomes["set aside"] += 1
            else:
                # As the sender, sending again, is answered.
                outcomes[f"HTTP {http_status(outcome)}"] += 1
    finally:
        services.close()
    summary = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()) if n)
    print(f"reprocessed {len(waiting)} message(s): {summary or 'none waiting'}", file=sys.stderr)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from app.demo.runner import run

    if args.clients < 1 or (args.workers is not None and args.workers < 1):
        print("iwmo: --clients and --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    return run(
        Settings.from_env(),
        clients=args.clients,
        seed=args.seed,
        force=args.force,
        as_json=args.json,
        out=sys.stdout,
        err=sys.stderr,
        workers=args.workers,
        keys_file=args.keys,
    )


def _examples_write(args: argparse.Namespace) -> int:
    from app.demo import examples

    wanted = examples.files()
    directory: Path = args.directory
    if args.check:
        stale = sorted(
            name
            for name, content in wanted.items()
            if not (directory / name).is_file() or (directory / name).read_bytes() != content
        )
        extra = sorted(
            p.name
            for p in (directory.iterdir() if directory.is_dir() else ())
            if p.name not in wanted
        )
        for name in stale:
            print(f"iwmo: {directory / name} is out of date", file=sys.stderr)
        for name in extra:
            print(f"iwmo: {directory / name} is not one of the examples", file=sys.stderr)
        return EXIT_FINDINGS if stale or extra else EXIT_OK
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in wanted.items():
            (directory / name).write_bytes(content)
    except OSError as exc:
        print(f"iwmo: {directory}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {len(wanted)} files to {directory}", file=sys.stderr)
    return EXIT_OK


def _examples_post(args: argparse.Namespace) -> int:
    import asyncio

    from app.demo import examples

    try:
        keys = examples.read_keys(args.keys)
    except (OSError, ValueError) as exc:
        print(f"iwmo: {args.keys}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        outcomes = asyncio.run(examples.post(examples.over_http(args.url), keys))
    except examples.ExampleError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the service cannot be reached
        print(f"iwmo: {args.url}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for o in outcomes:
        if args.json:
            print(json.dumps({"step": o.step, "poster": o.poster, "status": o.status,
                              "verdict": o.verdict, "codes": o.codes}))  # fmt: skip
        else:
            codes = f" ({', '.join(o.codes)})" if o.codes else ""
            print(f"{o.step:<40} {o.poster:<9} {o.verdict}{codes}")
    return EXIT_OK if all(o.accepted for o in outcomes) else EXIT_FINDINGS


def _new_secret_key(args: argparse.Namespace) -> int:
    from app.administration.crypto import new_key

    print(new_key())
    return EXIT_OK


def _key_refusal() -> str | None:
    """Why the configured key cannot open the database (one line), or None when it can.
    A database without a fingerprint gets this key's (see ``keys.verify``)."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.administration import keys
    from app.administration.crypto import vault_from
    from app.administration.db import Database

    try:
        settings = Settings.from_env()
        vault = vault_from(settings)
        database = Database(settings.database_url)
        try:
            keys.verify(database, vault)
        finally:
            database.dispose()
    except ValueError as exc:  # SecretKeyError, or a malformed setting
        return str(exc)
    except SQLAlchemyError as exc:  # by type only: the text may name hosts and users
        return f"the database is unavailable ({type(exc).__name__})"
    return None


def _secret_key_check(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from app.administration import keys
    from app.administration.crypto import vault_from
    from app.administration.db import Database

    try:
        settings = Settings.from_env()
        vault = vault_from(settings, generate=False)
    except ValueError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    database = Database(settings.database_url)
    try:
        outcome = keys.verify(database, vault, record=False)
    except keys.WrongKey as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except keys.SchemaOutOfDate as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        print(f"iwmo: the database is unavailable ({type(exc).__name__})", file=sys.stderr)
        return EXIT_USAGE
    finally:
        database.dispose()
    print(
        {
            keys.MATCHED: f"{vault.source} is the key of this database",
            keys.RECORDED: "the database holds no personal data yet; "
            f"the first start records {vault.source} as its key",
            keys.ADOPTED: f"{vault.source} decrypts the data in this database; "
            "the next start records it as its key",
        }[outcome]
    )
    return EXIT_OK


def _secret_key_rotate(args: argparse.Namespace) -> int:

    from sqlalchemy.exc import SQLAlchemyError

    from app.administration import crypto, keys
    from app.administration.db import Database

    try:
        settings = Settings.from_env()
        from_env = settings.new_secret_key
        if (args.new_key_file is None) == (from_env is None):
            print(
                "iwmo: give the new key either with --new-key-file FILE or in "
                "IWMO_NEW_SECRET_KEY (iwmo new-secret-key makes one)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if args.new_key_file is not None:
            try:
                raw = args.new_key_file.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or "not a base64 key"
                print(f"iwmo: {args.new_key_file}: {reason}", file=sys.stderr)
                return EXIT_USAGE
            new = crypto.vault_of(raw, f"the new key in {args.new_key_file}")
        else:
            raw = from_env or ""
            new = crypto.vault_of(raw, "IWMO_NEW_SECRET_KEY")
        old = crypto.vault_from(settings, generate=False)
    except (OSError, ValueError) as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    database = Database(settings.database_url)
    try:
        rotation = keys.rotate(database, old, new)
    except keys.WrongKey:
        print(
            f"iwmo: {old.source} is not the key the personal data in this database is "
            "encrypted with; nothing was changed",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    except crypto.SecretKeyError as exc:
        print(f"iwmo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        print(
            f"iwmo: the database failed ({type(exc).__name__}); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_USAGE
    finally:
        database.dispose()
    if settings.secret_key is None:
        # The old key came from the development key file: the next start must find the
        # new one there.
        path = crypto.development_key_file(settings)
        try:
            crypto.replace_development_key(path, raw)
        except OSError as exc:
            print(
                f"iwmo: {rotation.summary()}, but {path} could not be replaced "
                f"({exc.strerror or type(exc).__name__}): put the new key there yourself",
                file=sys.stderr,
            )
            return EXIT_USAGE
        then = "the development key file now holds the new key"
    else:
        then = "set IWMO_SECRET_KEY to the new key before starting the service"
    print(f"{rotation.summary()}; {then}", file=sys.stderr)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    import os
    import tempfile

    import uvicorn

    from app.server import GuardedHttpToolsProtocol

    # Here, before any worker starts: a worker that cannot open the database would be
    # restarted by uvicorn forever, and a wrong key must not serve a single request. (A bad
    # setting stops here too, once, not in every worker.)
    refusal = _key_refusal()
    if refusal is not None:
        print(f"iwmo: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    if args.workers > 1 and Settings.from_env().prometheus_multiproc_dir is None:
        # Each worker keeps its metrics in files here; /metrics adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="iwmo-metrics-")
    uvicorn.run(
        "app.api:serve_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,  # serve_app sets up the service's own log format
        access_log=False,  # the service logs every request itself, with its request id
        # Request heads must arrive in time, and a worker holds a bounded number of
        # connections (IWMO_HEADER_TIMEOUT, IWMO_MAX_CONNECTIONS).
        http=GuardedHttpToolsProtocol,
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
