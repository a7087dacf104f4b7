"""The `chatstack` command: offline tools around the Pulumi program.

Like `pulumi`, it works on the nearest Pulumi project at or above the current directory
(or `--cwd DIR`): that project's stack files, schema and resolvers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appsync_local.manifest import ManifestError
from chatstack.config import StackConfigError
from chatstack.project import ProjectNotFoundError, StackNotFoundError, find_project

# The pyproject extra each command needs beyond the base install (plan, policy, preview, config, event).
EXTRAS = {"local": "local", "attendee-token": "local", "export": "local", "loadtest": "loadtest",
          "report": "report"}


def _preview(args: argparse.Namespace, root: Path) -> int:
    from chatstack.offline import preview
    from chatstack.offline.evaluation import evaluate_program

    run = evaluate_program(args.stack, root)
    print(preview.as_json(run) if args.json else preview.as_text(run))
    return 0


def _policy(args: argparse.Namespace, root: Path) -> int:
    from chatstack.policy import runner

    if bool(args.stack) == args.all:
        print("chatstack policy: give --stack NAME (repeatable) or --all", file=sys.stderr)
        return 2
    try:
        overrides = runner.parse_overrides(args.config)
    except ValueError as error:
        print(f"chatstack policy: {error}", file=sys.stderr)
        return 2
    return runner.run_cli(args.stack, args.all, overrides, "json" if args.json else args.format, root)


def _plan(args: argparse.Namespace, root: Path) -> int:
    from chatstack.planning import report

    if bool(args.stack) == args.all:
        print("chatstack plan: give --stack NAME or --all", file=sys.stderr)
        return 2
    as_json = args.json or args.format == "json"
    if args.all:
        rows = report.plan_all(root, args.config)
        print(report.all_as_json(rows) if as_json else report.all_as_text(rows))
        return report.all_exit_code(rows)
    plan = report.plan_stack(args.stack, args.config, root)
    print(report.as_json(plan, args.stack) if as_json else report.as_text(plan, args.stack))
    if plan.verdict == "impossible":
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in plan.blocking)
        print(f"chatstack plan: stack {args.stack} cannot be deployed: {reasons}", file=sys.stderr)
        return 1
    return 0


def _local(args: argparse.Namespace, root: Path) -> int:
    from chatstack.config import parse_config_overrides
    from chatstack.local import stack

    try:
        overrides = parse_config_overrides(args.config)
    except ValueError as error:
        print(f"chatstack local: {error}", file=sys.stderr)
        return 2
    return stack.serve(args.stack, root, host=args.host, port=args.port, outputs_path=args.outputs,
                       config_overrides=overrides, state_dir=args.state_dir, fresh=args.fresh,
                       max_connections=args.max_connections, tls=args.tls, web_client=not args.no_web)


def _attendee_token(args: argparse.Namespace, root: Path) -> int:
    from chatstack.local.oidc import AttendeeTokenError, attendee_token
    from chatstack.project import Project, read_stack_config

    read_stack_config(args.stack, root)  # an unknown stack fails naming the stacks there are
    try:
        token = attendee_token(Project(root).state_dir / args.stack, args.sub, args.name,
                               moderator=args.moderator, ttl_seconds=args.ttl)
    except AttendeeTokenError as error:
        print(f"chatstack attendee-token: {error}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _config_schema(_args: argparse.Namespace, _root: Path) -> int:
    import json

    from chatstack.config_schema import config_json_schema

    print(json.dumps(config_json_schema(), indent=2, sort_keys=True))
    return 0


def _event_templates(args: argparse.Namespace, root: Path) -> int:
    import json

    from chatstack.event_templates import list_templates

    templates = list_templates(root)
    if args.format == "json":
        print(json.dumps([{"name": t.name, "description": t.description, "placeholders": t.placeholders,
                           "participants": int(t.config.get("chatstack:participants", 0))} for t in templates],
                         indent=2))
        return 0
    for template in templates:
        print(f"{template.name:<10} {template.description}")
        for key, what in template.placeholders.items():
            print(f"{'':<10}   --set {key.removeprefix('chatstack:')}=...  {what}")
    print("\nchatstack event new <event> --template <name> --set key=value ...")
    return 0


def _event_new(args: argparse.Namespace, root: Path) -> int:
    from chatstack.event_templates import EventTemplateError, new_event
    from chatstack.planning.planner import plan_for_config

    try:
        made = new_event(root, args.name, args.template, args.set, unset=args.unset)
    except EventTemplateError as error:
        print(f"chatstack event new: {error}", file=sys.stderr)
        return 2
    plan = plan_for_config(made.config)
    print(f"chatstack event new: wrote {made.path.name} from template {args.template!r}")
    print(f"  plan: {plan.verdict} — {plan.inputs.participants:,} participants, "
          f"${plan.cost_per_event_usd:,.0f} for the event (${plan.cost_per_hour_usd:,.0f}/h)")
    for check in plan.blocking:
        print(f"    {check.name}: {check.reason}")
    print("  next:")
    for line in (f"chatstack plan --stack {args.name}", f"chatstack policy --stack {args.name}",
                 f"chatstack local --stack {args.name}", f"pulumi up --stack {args.name}"):
        print(f"    {line}")
    return 1 if plan.verdict == "impossible" else 0


def _export(args: argparse.Namespace, root: Path) -> int:
    from chatstack.transcript import as_csv, as_jsonl, transcript, transcript_from_archive

    if args.archive:
        rows = transcript_from_archive(Path(args.archive), args.room)
    else:
        from chatstack.loadtest.scenario import ScenarioError, default_outputs_path, read_outputs
        from chatstack.local.session import admin_client

        try:
            outputs = read_outputs(Path(args.outputs) if args.outputs else default_outputs_path(root, args.stack),
                                   args.stack)
        except ScenarioError as error:
            print(f"chatstack export: {error}", file=sys.stderr)
            return 2
        rows = transcript(admin_client(outputs, "dynamodb"), outputs["tableName"], args.room)
    text = as_csv(rows) if args.format == "csv" else as_jsonl(rows)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"chatstack export: {len(rows)} messages and replies to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _report(args: argparse.Namespace, root: Path) -> int:
    from chatstack.config import parse_stack_values
    from chatstack.project import Project, read_stack_config
    from chatstack.report import ReportError, write_report

    planned = parse_stack_values(read_stack_config(args.stack, root)).messages_per_second
    archive = args.archive or str(Project(root).state_dir / args.stack / "archive")
    try:
        report = write_report(archive, Path(args.out), planned)
    except ReportError as error:
        print(f"chatstack report: {error}", file=sys.stderr)
        return 2
    print(f"chatstack report: {report['messages']} messages, {report['replies']} replies, {report['deleted']} deleted, "
          f"{report['distinctSenders']} senders, {report['moderationActions']} moderation actions; peak "
          f"{report['peakMessagesPerMinute']}/min (planned {report['plannedPeakMessagesPerMinute']}/min)")
    print(f"  {Path(args.out) / 'report.html'} (opens with no network), {Path(args.out) / 'report.json'}")
    return 0


def _loadtest(args: argparse.Namespace, root: Path) -> int:
    from chatstack.loadtest import command

    return command.run(args, root, args.locust_args)


def _add_cwd(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("-C", "--cwd", metavar="DIR", default=default,
                        help="run as if started in DIR (the Pulumi project is the nearest Pulumi.yaml at or above it)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatstack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_cwd(parser, None)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, **kwargs)
        _add_cwd(sub, argparse.SUPPRESS)  # accepted after the command too, as pulumi does
        return sub

    preview = command("preview", help="print the resources a stack would create (offline)")
    preview.add_argument("--stack", required=True, help="event stack name (Pulumi.<stack>.yaml)")
    preview.add_argument("--json", action="store_true", help="machine-readable output")
    preview.set_defaults(handler=_preview)

    policy = command("policy", help="run the policy pack (policy/) offline on stacks; 1 if any mandatory")
    policy.add_argument("--stack", action="append", default=[], help="event stack name (repeatable)")
    policy.add_argument("--all", action="store_true", help="every Pulumi.<stack>.yaml")
    policy.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value for this run (chatstack: namespace by default)")
    policy.add_argument("--json", action="store_true", help="machine-readable output (= --format json)")
    policy.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text",
                        help="text (default), json, sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML, CI "
                             "test reports); exit 0 pass, 1 mandatory violations, 2 a stack's config is broken")
    policy.set_defaults(handler=_policy)

    plan = command("plan", help="capacity, quotas and cost of a stack; 1 if the plan is impossible")
    plan.add_argument("--stack", help="event stack name (Pulumi.<stack>.yaml)")
    plan.add_argument("--all", action="store_true",
                      help="every Pulumi.<stack>.yaml in one table, and the per-account quotas they share")
    plan.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                      help="what-if: override a config value (chatstack: namespace by default)")
    plan.add_argument("--json", action="store_true", help="machine-readable output (= --format json)")
    plan.add_argument("--format", choices=("text", "json"), default="text",
                      help="text (default) or json; exit 0 fits, 1 an impossible plan, 2 a usage or config error")
    plan.set_defaults(handler=_plan)

    local = command("local", help="serve a stack offline (AppSync-compatible endpoint)")
    local.add_argument("--stack", required=True)
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=20002, help="0 picks a free port")
    local.add_argument("--outputs", default=None,
                       help="where to write the stack outputs (default .chatstack/<stack>/outputs.json in the project)")
    local.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config value for this run (chatstack: namespace by default), "
                            "e.g. attendeeAuth=oidc")
    local.add_argument("--state-dir", default=None,
                       help="where the table's items and the pool's users are kept across restarts "
                            "(default .chatstack/<stack>/state)")
    local.add_argument("--fresh", action="store_true", help="discard the kept state and start empty")
    local.add_argument("--max-connections", type=int, default=1000,
                       help="real-time connections open at once; more get connection_error LimitExceededError")
    local.add_argument("--tls", action="store_true",
                       help="serve HTTPS/WSS with a local CA (.chatstack/tls; outputs tlsCaFile), as Amplify's "
                            "real-time client needs")
    local.add_argument("--no-web", action="store_true",
                       help="do not build or serve the web client at the endpoint's root")
    local.set_defaults(handler=_local)

    token = command("attendee-token",
                    help="print an attendee token the local OIDC issuer of a served oidc stack accepts")
    token.add_argument("--stack", required=True, help="event stack name (served by chatstack local)")
    token.add_argument("--sub", required=True, help="the attendee's stable id (the token's sub)")
    token.add_argument("--name", required=True, help="display name (the stack's chatstack:oidcNameClaim)")
    token.add_argument("--moderator", action="store_true",
                       help="grant moderation through the stack's chatstack:oidcModeratorClaim")
    token.add_argument("--ttl", type=float, default=3600, metavar="SECONDS", help="lifetime (default 3600)")
    token.set_defaults(handler=_attendee_token)

    export = command("export", help="an event's transcript (messages, replies, deletions marked) as jsonl or csv")
    export.add_argument("--stack", required=True, help="event stack name")
    export.add_argument("--room", help="one room (Queries); default every room (one Scan of the table)")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--outputs", help="the stack outputs (default .chatstack/<stack>/outputs.json, "
                                          "written by chatstack local; for AWS: pulumi stack output --json)")
    export.add_argument("--out", help="write here instead of standard output")
    export.add_argument("--archive", help="read the archive folder (e.g. .chatstack/<stack>/archive) instead of "
                                          "the table: works after teardown")
    export.set_defaults(handler=_export)

    event = command("event", help="make an event's stack file from a template")
    event_commands = event.add_subparsers(dest="event_command", required=True)
    templates = event_commands.add_parser("templates", help="list the templates (templates/*.yaml)")
    templates.add_argument("--format", choices=("text", "json"), default="text")
    templates.set_defaults(handler=_event_templates)
    new = event_commands.add_parser(
        "new", help="write Pulumi.NAME.yaml from a template, validate it and print its plan verdict; "
                    "exit 0 written, 1 written but its plan is impossible, 2 refused (nothing written)")
    new.add_argument("name", help="the event's stack name (letters, digits, '-', '_')")
    new.add_argument("--template", required=True, help="a template name (chatstack event templates)")
    new.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="a config value (chatstack: namespace by default); every placeholder of a "
                          "production template must be set")
    new.add_argument("--unset", action="append", default=[], metavar="KEY",
                     help="leave a key of the template out (e.g. webAppDomain with --set webApp=false)")
    new.set_defaults(handler=_event_new)

    report = command("report", help="what happened at an event, from its archive: report.json and a self-contained "
                                     "report.html with charts")
    report.add_argument("--stack", required=True, help="event stack name")
    report.add_argument("--out", required=True, help="the folder to write report.json and report.html into")
    report.add_argument("--archive", help="a folder or s3://bucket/prefix (default .chatstack/<stack>/archive, "
                                          "written by chatstack local)")
    report.set_defaults(handler=_report)

    config = command("config", help="the stack config's contract for other tools")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    schema = config_commands.add_parser("schema", help="print the JSON Schema of every chatstack:* key")
    schema.set_defaults(handler=_config_schema)

    from chatstack.loadtest.command import add_arguments

    loadtest = command("loadtest", help="rehearse an event on Locust: simulated attendees subscribe, senders send; "
                                         "delivery, loss and latency against the plan (other options go to Locust)")
    add_arguments(loadtest)
    loadtest.set_defaults(handler=_loadtest)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "loadtest":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.locust_args = unknown  # `chatstack loadtest` hands options it does not know to Locust
    try:
        root = find_project(args.cwd).root
    except ProjectNotFoundError as error:
        print(f"chatstack {args.command}: {error}", file=sys.stderr)
        return 2
    try:
        return args.handler(args, root)
    except ModuleNotFoundError as error:
        # A job that installed only what it runs (pyproject's extras) asked for more.
        extra = EXTRAS.get(args.command)
        if extra is None or error.name is None:
            raise
        print(f"chatstack {args.command}: needs {error.name.split('.')[0]}, which the base install leaves out: "
              f"pip install 'chatstack[{extra}]'", file=sys.stderr)
        return 2
    except (StackConfigError, StackNotFoundError, ManifestError) as error:
        # ManifestError includes resolver code AppSync would refuse (file:line:column [rule] ...)
        print(f"chatstack {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
