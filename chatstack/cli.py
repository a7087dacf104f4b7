"""The `chatstack` command: offline tools around the Pulumi program."""

from __future__ import annotations

import argparse
import sys

from chatstack.config import StackConfigError
from chatstack.offline import StackNotFoundError, evaluate_program


def _preview(args: argparse.Namespace) -> int:
    from chatstack import preview

    run = evaluate_program(args.stack)
    print(preview.as_json(run) if args.json else preview.as_text(run))
    return 0


def _local(args: argparse.Namespace) -> int:
    print(
        "chatstack local: the offline AppSync endpoint is not built yet (issue: `make local`). "
        "Use `chatstack preview --stack dev` to see the stack.",
        file=sys.stderr,
    )
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="print the resources a stack would create (offline)")
    preview.add_argument("--stack", required=True, help="event stack name (Pulumi.<stack>.yaml)")
    preview.add_argument("--json", action="store_true", help="machine-readable output")
    preview.set_defaults(handler=_preview)

    local = commands.add_parser("local", help="serve a stack offline (AppSync-compatible endpoint)")
    local.add_argument("--stack", required=True)
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=0)
    local.add_argument("--outputs", default=None)
    local.set_defaults(handler=_local)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (StackConfigError, StackNotFoundError) as error:
        print(f"chatstack {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
