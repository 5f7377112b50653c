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

    s = sub.add_parser("schemas", help="write the project XSDs, or check they are current")
    s.add_argument("--out", type=Path, default=None, help="directory (default: schemas/)")
    s.add_argument("--check", action="store_true", help="fail when schemas/ is out of date")
    s.set_defaults(func=_schemas)

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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "app.api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
