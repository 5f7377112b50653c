"""Median time per message for checking the published examples.

Prints, per example and overall, the median time of:
  floor          lxml alone: a plain parse and the compiled XSD's validate, nothing else;
                 what no check of the service can go below, measured in the same run
  parse+schema   safe parse and XSD validation (target: at most 0.2 ms a message)
  +decode        ... and decoding into typed objects
  +rules         ... and every message rule (issue target: at most 1 ms a message)

Usage: python bench/validate.py [--reference DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from app.standard import codec, parsing  # noqa: E402
from app.standard.schema import Schemas  # noqa: E402


def _rules():  # type: ignore[no-untyped-def]
    try:
        from app.rules import engine
    except ImportError:
        return None
    return engine.default()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "iwmo-3.2")
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    examples = sorted((args.reference / "examples").glob("WMO*.xml"))
    if not examples:
        print(f"no examples under {args.reference}", file=sys.stderr)
        return 2
    schemas = Schemas()
    rules = _rules()
    columns = ["floor", "parse+schema", "+decode"] + (["+rules"] if rules else [])
    print(f"{'message':<8} {'bytes':>6}  " + "  ".join(f"{c:>13}" for c in columns))
    overall: dict[str, list[float]] = {c: [] for c in columns}
    for path in examples:
        data = path.read_bytes()
        mt = parsing.parse(data).message_type
        assert mt is not None
        xsd = schemas.compiled(mt)  # compile outside the timing
        plain = etree.XMLParser()
        timings: dict[str, list[float]] = {c: [] for c in columns}
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            assert xsd.validate(etree.fromstring(data, plain))
            timings["floor"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            parsed = parsing.parse(data)
            ok = not schemas.validate(parsed.root, mt)
            t1 = time.perf_counter()
            message = codec.decode(parsed.root, mt)
            t2 = time.perf_counter()
            if rules:
                rules.check(message)
            t3 = time.perf_counter()
            assert ok
            timings["parse+schema"].append(t1 - t0)
            timings["+decode"].append(t2 - t0)
            if rules:
                timings["+rules"].append(t3 - t0)
        cells = []
        for c in columns:
            overall[c].extend(timings[c])
            cells.append(f"{statistics.median(timings[c]) * 1e3:10.3f} ms")
        print(f"{mt.name:<8} {len(data):>6}  " + "  ".join(cells))
    print(
        f"{'median':<8} {'':>6}  "
        + "  ".join(f"{statistics.median(overall[c]) * 1e3:10.3f} ms" for c in columns)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
