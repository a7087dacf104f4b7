"""The `chatstack` command: offline tools around the Pulumi program."""

from __future__ import annotations

import argparse
import sys

from chatstack import PROJECT_ROOT
from chatstack.config import StackConfigError
from chatstack.offline import StackNotFoundError, evaluate_program


def _preview(args: argparse.Namespace) -> int:
    from chatstack import preview

    run = evaluate_program(args.stack)
    print(preview.as_json(run) if args.json else preview.as_text(run))
    return 0


def _policy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from chatstack import policy_runner

    if bool(args.stack) == args.all:
        print("chatstack policy: give --stack NAME (repeatable) or --all", file=sys.stderr)
        return 2
    try:
        overrides = policy_runner.parse_overrides(args.config)
    except ValueError as error:
        print(f"chatstack policy: {error}", file=sys.stderr)
        return 2
    return policy_runner.run_cli(args.stack, args.all, overrides, args.json, Path(args.root))


def _plan(args: argparse.Namespace) -> int:
    from chatstack import plan_report

    plan = plan_report.plan_stack(args.stack, args.config)
    print(plan_report.as_json(plan, args.stack) if args.json else plan_report.as_text(plan, args.stack))
    if plan.verdict == "impossible":
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in plan.blocking)
        print(f"chatstack plan: stack {args.stack} cannot be deployed: {reasons}", file=sys.stderr)
        return 1
    return 0


def _local(args: argparse.Namespace) -> int:
    from chatstack import local_stack

    return local_stack.serve(args.stack, host=args.host, port=args.port, outputs_path=args.outputs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="print the resources a stack would create (offline)")
    preview.add_argument("--stack", required=True, help="event stack name (Pulumi.<stack>.yaml)")
    preview.add_argument("--json", action="store_true", help="machine-readable output")
    preview.set_defaults(handler=_preview)

    policy = commands.add_parser("policy", help="run the policy pack (policy/) offline on stacks; 1 if any mandatory")
    policy.add_argument("--stack", action="append", default=[], help="event stack name (repeatable)")
    policy.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml")
    policy.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value for this run (chatstack: namespace by default)")
    policy.add_argument("--root", default=str(PROJECT_ROOT), help=argparse.SUPPRESS)
    policy.add_argument("--json", action="store_true", help="machine-readable output")
    policy.set_defaults(handler=_policy)

    plan = commands.add_parser("plan", help="capacity, quotas and cost of a stack; 1 if the plan is impossible")
    plan.add_argument("--stack", required=True, help="event stack name (Pulumi.<stack>.yaml)")
    plan.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                      help="what-if: override a config value (chatstack: namespace by default)")
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.set_defaults(handler=_plan)

    local = commands.add_parser("local", help="serve a stack offline (AppSync-compatible endpoint)")
    local.add_argument("--stack", required=True)
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=20002, help="0 picks a free port")
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
