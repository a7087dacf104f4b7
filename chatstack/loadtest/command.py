"""`chatstack loadtest`: the rehearsal's options, turned into a Locust command line.

The scenario's options are chatstack's; the distribution options are Locust's own, spelled as
Locust spells them (`--master`, `--worker`, `--master-host`, `--master-port`,
`--master-bind-host`, `--master-bind-port`, `--expect-workers`); anything else (`--csv`,
`--html`, `--web-port`, `--processes`, `--loglevel`, ...) is handed to Locust unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chatstack.loadtest.scenario import ScenarioError, build_scenario

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEFAULT_USERS = 200  # what one machine rehearses against `make local` unless told otherwise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    scenario = parser.add_argument_group("scenario")
    scenario.add_argument("--stack", help="event stack (Pulumi.<stack>.yaml); not needed with --worker")
    scenario.add_argument("--outputs", help="the stack's outputs JSON (default .chatstack/<stack>/outputs.json, "
                                            "written by `chatstack local`; for AWS: `pulumi stack output --json`)")
    scenario.add_argument("--users", type=int, default=DEFAULT_USERS,
                          help=f"simulated attendees (default {DEFAULT_USERS})")
    scenario.add_argument("--spawn-rate", type=float, default=50.0, help="users started per second (default 50)")
    scenario.add_argument("--senders", type=int, default=5, help="attendees that also send (default 5)")
    scenario.add_argument("--messages-per-second", type=float, default=10.0,
                          help="sendMessage rate of all senders together (default 10)")
    scenario.add_argument("--duration", type=float, default=30.0, help="seconds of sending after the ramp (default 30)")
    scenario.add_argument("--rooms", type=int, default=1, help="spread users and senders over this many rooms")
    scenario.add_argument("--drain", type=float, default=None,
                          help="seconds to wait for the last deliveries (default 5, plus two flushes when batched)")
    scenario.add_argument("--ramp-timeout", type=float, default=None,
                          help="start sending after this many seconds even if not every user subscribed")
    scenario.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                          help="stack config override (chatstack: namespace by default), as for `chatstack plan`; "
                               "must match the served stack")
    scenario.add_argument("--oidc-state-dir", metavar="DIR",
                          help="oidc stacks: where the local issuer keeps its key (default .chatstack/<stack>)")
    scenario.add_argument("--attendee-tokens", metavar="FILE",
                          help="oidc stacks, e.g. deployed: attendee ID tokens the event platform issued, one per line "
                               "(at least --users of them); instead of minting with the local issuer")
    scenario.add_argument("--json", metavar="FILE", dest="summary_json", help="write the rehearsal summary here")
    scenario.add_argument("--headless", action="store_true", help="no web UI: start at once, quit when done")
    distribution = parser.add_argument_group("distribution (Locust's options)")
    distribution.add_argument("--master", action="store_true", help="coordinate workers, aggregate their results")
    distribution.add_argument("--worker", action="store_true", help="run users for a master; needs no --stack")
    distribution.add_argument("--master-host", help="(worker) the master's address")
    distribution.add_argument("--master-port", type=int, help="(worker) the master's port (Locust default 5557)")
    distribution.add_argument("--master-bind-host", help="(master) interface to listen on for workers")
    distribution.add_argument("--master-bind-port", type=int, help="(master) port to listen on (default 5557)")
    distribution.add_argument("--expect-workers", type=int, help="(master, --headless) wait for this many workers")


def locust_argv(args: argparse.Namespace, root: Path, passthrough: list[str]) -> list[str]:
    """The Locust command line for these options; validates the scenario first (not on workers)."""
    if args.master and args.worker:
        raise ScenarioError("--master and --worker exclude each other")
    argv = ["-f", str(LOCUSTFILE)]
    if args.worker:
        argv.append("--worker")
        for flag, value in (("--master-host", args.master_host), ("--master-port", args.master_port)):
            if value is not None:
                argv += [flag, str(value)]
        return argv + passthrough
    if not args.stack:
        raise ScenarioError("--stack is required (the event stack to rehearse)")
    outputs = Path(args.outputs).resolve() if args.outputs else None
    scenario, _ = build_scenario(args.stack, root, outputs, users=args.users, spawn_rate=args.spawn_rate,
                                 senders=args.senders, messages_per_second=args.messages_per_second,
                                 duration_s=args.duration, rooms=args.rooms, drain_s=args.drain,
                                 settings=args.config,
                                 oidc_state_dir=Path(args.oidc_state_dir).resolve() if args.oidc_state_dir else None,
                                 attendee_tokens_file=(Path(args.attendee_tokens).resolve() if args.attendee_tokens
                                                       else None))
    argv += ["--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--host", scenario.graphql_url,
             "--stack", args.stack, "--project-dir", str(root), "--senders", str(args.senders),
             "--messages-per-second", str(args.messages_per_second), "--duration", str(args.duration),
             "--rooms", str(args.rooms)]
    for flag, value in (("--outputs", outputs), ("--drain", args.drain), ("--ramp-timeout", args.ramp_timeout),
                        ("--oidc-state-dir", scenario.oidc_state_dir),
                        ("--attendee-tokens", scenario.attendee_tokens_file),
                        ("--summary-json", Path(args.summary_json).resolve() if args.summary_json else None)):
        if value is not None:
            argv += [flag, str(value)]
    for setting in args.config:
        argv += ["--stack-config", setting]
    if args.headless:
        argv.append("--headless")
    if args.master:
        argv.append("--master")
        for flag, value in (("--master-bind-host", args.master_bind_host),
                            ("--master-bind-port", args.master_bind_port),
                            ("--expect-workers", args.expect_workers)):
            if value is not None:
                argv += [flag, str(value)]
    return argv + passthrough


def run(args: argparse.Namespace, root: Path, passthrough: list[str]) -> int:
    try:
        argv = locust_argv(args, root, passthrough)
    except ScenarioError as error:
        print(f"chatstack loadtest: {error}", file=sys.stderr)
        return 2
    # Locust monkey-patches the standard library with gevent when it is imported: it gets a
    # fresh interpreter rather than this one, which has already imported ssl and friends.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "locust", *argv])
    return 0  # not reached
