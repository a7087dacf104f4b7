"""Run the APPSYNC_JS conformance suite: per-area pass counts, the total, and exit 1 below --floor."""

from __future__ import annotations

import argparse
import sys

from appsync_local.conformance import format_report, run_suite

# The pass rate `make test` holds the runtime to (percent). Raise it as the runtime improves.
DEFAULT_FLOOR = 99.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appsync_local.conformance", description=__doc__)
    parser.add_argument("--floor", type=float, default=DEFAULT_FLOOR, help="minimum pass rate in percent")
    parser.add_argument("--verbose", action="store_true", help="print each difference in full")
    args = parser.parse_args(argv)
    report = run_suite()
    print(format_report(report, verbose=args.verbose))
    if report.rate < args.floor:
        print(f"conformance: {report.rate:.1f} % is below the floor of {args.floor:.1f} %", file=sys.stderr)
        return 1
    # not "N passed, N failed": the known differences are listed above, not test failures
    print(f"conformance: {report.passed}/{report.total} cases match AWS "
          f"({report.rate:.1f} %, floor {args.floor:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
