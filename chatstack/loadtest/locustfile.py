"""The rehearsal as a Locust test: `chatstack loadtest` runs Locust on this file, and so can
`locust -f chatstack/loadtest/locustfile.py --stack S ...` directly.

Timeline (one conductor on the master, or in the single process of a local run):
1. ramp — Locust spawns `--users` at `--spawn-rate`; each simulated attendee gets a token,
   connects to the real-time endpoint and subscribes to its room (`onSendMessage`, or
   `onMessageBatch` on batched stacks). `--senders` of them (Locust `fixed_count`) also send.
2. gate — when every user has subscribed or failed (or the ramp timeout passes), the conductor
   tells every worker to open the send phase. Subscriptions acknowledged before that are the
   audience each message is owed to.
3. send — each sender calls `sendMessage` at messages-per-second / senders for `--duration`.
4. drain — until every owed delivery arrived, or `--drain` seconds.
5. collect — every worker sends its tally; the conductor writes the summary (`--summary-json`)
   and stops the test, so Locust writes its own stats, CSV (`--csv`) and HTML (`--html`).

Per delivery, a Locust request event (`<field> delivery`, response time = mutation start →
frame received) puts latency into Locust's statistics; auth, connect, subscribe and
sendMessage are request events too, and failures carry their error type.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import gevent
import requests
from gevent.event import Event
from locust import User, constant, events, task
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC

from chatstack.loadtest.identity import attendee_tokens
from chatstack.loadtest.realtime_client import (
    ConnectionLost,
    EventsConnection,
    RealtimeConnection,
    RealtimeError,
    SubscribeFailed,
    connect_and_subscribe,
)
from chatstack.loadtest.scenario import (
    SEND_MESSAGE,
    Scenario,
    ScenarioError,
    build_scenario,
    decode_message,
    encode_message,
)
from chatstack.loadtest.summary import write_summary
from chatstack.loadtest.tally import WorkerTally, expected_and_delivered

log = logging.getLogger("chatstack.loadtest")

PROGRESS_INTERVAL_S = 0.5
GO_DELAY_S = 1.0  # the gate message reaches every worker before the first send
COLLECT_TIMEOUT_S = 30.0
STATS_SETTLE_TIMEOUT_S = 10.0  # Locust workers report every 3 s
SCENARIO_OPTION = "chatstack_scenario"
AUTH_REQUEST = {"cognito": "sign-up + sign-in", "oidc": "attendee token"}


# ---- options -----------------------------------------------------------------------------

@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("chatstack rehearsal")
    group.add_argument("--stack", default=None, help="event stack (Pulumi.<stack>.yaml)")
    group.add_argument("--project-dir", default=None, help="the Pulumi project (default: around the current directory)")
    group.add_argument("--outputs", default=None,
                       help="the stack's outputs JSON (default: .chatstack/<stack>/outputs.json)")
    group.add_argument("--senders", type=int, default=5, help="users that also send (Locust fixed_count)")
    group.add_argument("--messages-per-second", type=float, default=10.0, help="all senders together")
    group.add_argument("--duration", type=float, default=30.0, help="send phase, seconds (after the ramp)")
    group.add_argument("--rooms", type=int, default=1, help="users and senders are spread over this many rooms")
    group.add_argument("--drain", type=float, default=None, help="seconds to wait for the last deliveries")
    group.add_argument("--ramp-timeout", type=float, default=None,
                       help="open the send phase after this many seconds even if not every user subscribed "
                            "(default: twice the planned ramp + 30 s)")
    group.add_argument("--summary-json", default=None, help="write the rehearsal summary here")
    group.add_argument("--oidc-state-dir", default=None,
                       help="oidc stacks: the local issuer's state (default .chatstack/<stack>)")
    group.add_argument("--attendee-tokens", default=None,
                       help="oidc stacks: a file of attendee ID tokens from the event platform, one per line")
    group.add_argument("--stack-config", action="append", default=[], metavar="KEY=VALUE",
                       help="override a stack config value, as the served stack was started with")


# ---- worker side: simulated attendees ------------------------------------------------------

class WorkerSide:
    """Per process that runs users: the scenario, the tally, the gate, and the reports."""

    def __init__(self, environment: Any, scenario: Scenario):
        self.environment = environment
        self.scenario = scenario
        self.tally = WorkerTally()
        self.tokens = attendee_tokens(scenario)
        self.gate = Event()
        self.send_at = 0.0  # monotonic time of the first send, once the gate is open
        runner = environment.runner
        self.worker_index = max(0, getattr(runner, "worker_index", 0))
        workers = getattr(environment.parsed_options, "expect_workers", 1) if isinstance(runner, WorkerRunner) else 1
        self.stride = max(1, int(workers or 1))
        self._attendees = itertools.count()
        self._senders = itertools.count()
        self._names = itertools.count()
        self.senders_done = 0
        self._reporter = gevent.spawn(self._report_progress)

    def next_room(self, sender: bool) -> str:
        counter = self._senders if sender else self._attendees
        return self.scenario.room(next(counter) * self.stride + self.worker_index)

    def next_attendee(self) -> tuple[str, int]:
        """A new simulated attendee's name, and its number across every worker (0, 1, 2, ...)."""
        n = next(self._names)
        return f"rehearsal-{self.scenario.run_id}-{self.worker_index}-{n}", n * self.stride + self.worker_index

    def open_gate(self, delay_s: float) -> None:
        self.send_at = time.monotonic() + delay_s
        self.gate.set()

    def _report_progress(self) -> None:
        last = None
        while True:
            gevent.sleep(PROGRESS_INTERVAL_S)
            report = {**self.tally.progress(), "sendersDone": self.senders_done}
            if report != last:
                self.environment.runner.send_message("chatstack_progress", report)
                last = report

    def collect(self) -> None:
        self.environment.runner.send_message("chatstack_tally", self.tally.final())

    def stop(self) -> None:
        self._reporter.kill(block=False)


_side: WorkerSide | None = None


def _fire(environment: Any, name: str, started: float, kind: str = "WSS", error: Exception | None = None,
          length: int = 0) -> None:
    environment.events.request.fire(request_type=kind, name=name, response_time=(time.time() - started) * 1000,
                                    response_length=length, exception=error, context={})


def _error_type(stage: str, error: Exception) -> str:
    detail = getattr(error, "error_type", None) or type(error).__name__
    return f"{stage}: {detail}"


class Attendee(User):
    """A participant: signs in, connects, subscribes to its room, and receives."""

    wait_time = constant(1)
    is_sender = False

    def on_start(self) -> None:
        self.side = _side
        self.connection: RealtimeConnection | None = None
        self.ledger = None
        self.token: str | None = None
        scenario = self.side.scenario
        self.room = self.side.next_room(self.is_sender)
        stage, started = "auth", time.time()
        self.side.tally.connecting(started)
        try:
            self.token = self.side.tokens.token(*self.side.next_attendee())
            _fire(self.environment, AUTH_REQUEST[scenario.attendee_auth], started, kind="AUTH")
            self._connect_and_subscribe()
            self.ledger = self.side.tally.subscription(self.room, time.time(), self.side.gate.is_set())
        except Exception as error:  # every way in can fail; each is counted by type
            if isinstance(error, SubscribeFailed):
                stage, started, error = error.stage, error.started, error.error
            self.side.tally.failed += 1
            self.side.tally.failure(_error_type(stage, error))
            _fire(self.environment, stage, started, error=error)
            if self.connection is not None:
                self.connection.close()
                self.connection = None

    def _connect_and_subscribe(self) -> None:
        scenario = self.side.scenario

        def report(stage: str, started: float, error: Exception | None, retried: bool) -> None:
            if error is None:
                _fire(self.environment, "connect" if stage == "connect" else f"subscribe {scenario.subscription_field}",
                      started)
            elif retried:  # counted apart from users that failed: a retry that passes loses nothing
                self.side.tally.retry(_error_type(stage, error))
                _fire(self.environment, f"{stage} (retried)", started, error=error)

        if scenario.fan_out_mode == "events":
            def open_connection() -> RealtimeConnection:
                return EventsConnection(scenario.events_realtime_url, scenario.events_url, self.token,
                                        ca_file=scenario.tls_ca_file)
        else:
            def open_connection() -> RealtimeConnection:
                return RealtimeConnection(scenario.realtime_url, scenario.graphql_url, self.token,
                                          ca_file=scenario.tls_ca_file)
        query, variables = scenario.subscription_target(self.room)
        self.connection = connect_and_subscribe(open_connection, query, variables, report, sleep=gevent.sleep)

    @task
    def receive(self) -> None:
        if self.connection is None or self.ledger is None:
            gevent.sleep(3600)  # no subscription: stay counted as a user, owe nothing
            return
        try:
            while True:
                self._handle(self.connection.receive())
        except (ConnectionLost, RealtimeError) as error:
            self.side.tally.disconnected += 1
            self.side.tally.failure(_error_type("receive", error))
            _fire(self.environment, "connection", time.time(), error=error)
            self.connection.close()
            self.connection = None

    def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind in ("error", "complete"):
            raise RealtimeError(*(("complete", "the server ended the subscription") if kind == "complete"
                                  else _frame_error(frame)))
        if kind != "data":
            return
        received = time.time()
        scenario = self.side.scenario
        if scenario.fan_out_mode == "events":  # the channel's event, JSON text: a batch or a room event
            item = json.loads(frame.get("event") or "null") or {}
        else:
            item = ((frame.get("payload") or {}).get("data") or {}).get(scenario.subscription_field) or {}
        # a batch is packed (schema: MessageBatch): the text is `x`
        texts = ([str(m.get("x", "")) for m in item.get("messages") or []] if scenario.fan_out_mode != "perMessage"
                 else [str(item.get("message", ""))])
        self.side.tally.update(self.ledger, _frame_bytes(frame))
        for text in texts:
            decoded = decode_message(text, scenario.run_id)
            if decoded is None:
                continue
            sender, seq, sent_at = decoded
            latency_ms = (received - sent_at) * 1000
            if self.side.tally.delivery(self.ledger, sender, seq, str(item.get("roomId")), latency_ms):
                self.environment.events.request.fire(
                    request_type="WSS", name=f"{scenario.subscription_field} delivery", response_time=latency_ms,
                    response_length=len(text), exception=None, context={})

    def on_stop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _frame_bytes(frame: dict[str, Any]) -> int:
    """The data frame's size on the wire, as the server wrote it (compact JSON; WebSocket framing
    not counted): what data transfer bills."""
    return len(json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode())


def _frame_error(frame: dict[str, Any]) -> tuple[str, str]:
    errors = (frame.get("payload") or {}).get("errors") or [{}]
    return str(errors[0].get("errorType") or "error"), str(errors[0].get("message") or frame)


class Sender(Attendee):
    """An attendee that also sends, at its share of --messages-per-second, once the gate opens."""

    is_sender = True
    fixed_count = 1  # set from --senders on the master

    def on_start(self) -> None:
        super().on_start()
        self.sender_id = f"{self.side.worker_index}.{id(self):x}"
        self._sending = gevent.spawn(self._send_all)

    def _send_all(self) -> None:
        side, scenario = self.side, self.side.scenario
        try:
            side.gate.wait()
            if self.token is None:
                return
            session = requests.Session()
            verify = scenario.tls_ca_file or True
            interval = scenario.seconds_between_sends
            first = side.send_at
            for seq in itertools.count():
                due = first + seq * interval
                if due - first >= scenario.duration_s:
                    break
                gevent.sleep(max(0.0, due - time.monotonic()))
                self._send(session, verify, seq)
        finally:
            side.senders_done += 1

    def _send(self, session: requests.Session, verify: Any, seq: int) -> None:
        side, scenario = self.side, self.side.scenario
        started = time.time()
        text = encode_message(scenario.run_id, self.sender_id, seq, started)
        try:
            response = session.post(scenario.graphql_url, json={"query": SEND_MESSAGE, "variables": {
                "roomId": self.room, "message": text}}, headers={"Authorization": self.token}, timeout=30,
                verify=verify)
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if response.status_code != 200 or body.get("errors") or not (body.get("data") or {}).get("sendMessage"):
                errors = body.get("errors") or [{}]
                raise RealtimeError(str(errors[0].get("errorType") or f"HTTP {response.status_code}"),
                                    str(errors[0].get("message") or response.text[:200]))
        except Exception as error:  # counted by type; the sender carries on at its rate
            side.tally.send_failed += 1
            side.tally.failure(_error_type("sendMessage", error))
            _fire(self.environment, "sendMessage", started, kind="POST", error=error)
            return
        side.tally.sent_ok(f"{self.sender_id}:{seq}", self.room, started)
        _fire(self.environment, "sendMessage", started, kind="POST", length=len(response.content))

    def on_stop(self) -> None:
        sending = getattr(self, "_sending", None)
        if sending is not None:
            sending.kill(block=False)
        super().on_stop()


# ---- master side: the conductor ------------------------------------------------------------

class Conductor:
    """Runs the timeline on the master (or the local runner) and writes the summary."""

    def __init__(self, environment: Any, scenario: Scenario, config: Any, summary_path: str | None):
        self.environment = environment
        self.scenario = scenario
        self.config = config
        self.summary_path = summary_path
        self.progress: dict[str, dict[str, Any]] = {}
        self.tallies: dict[str, dict[str, Any]] = {}
        self.summary: dict[str, Any] | None = None

    def new_run(self) -> None:
        """Each start (a second one from the web UI too) rehearses in rooms of its own: a new run id,
        forwarded to the workers with this start's spawn jobs."""
        self.scenario = replace(self.scenario, run_id=secrets.token_hex(4))
        setattr(self.environment.parsed_options, SCENARIO_OPTION, self.scenario.to_json())
        self.progress.clear()
        self.tallies.clear()
        log.info("run %s: rooms %s-*", self.scenario.run_id, self.scenario.room(0).rsplit("-", 1)[0])

    def on_progress(self, environment: Any, msg: Any, **_: Any) -> None:
        self.progress[msg.node_id] = msg.data

    def on_tally(self, environment: Any, msg: Any, **_: Any) -> None:
        self.tallies[msg.node_id] = msg.data

    def _sum(self, key: str) -> int:
        return sum(report.get(key, 0) for report in self.progress.values())

    def _workers(self) -> int:
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            return len(runner.clients.ready + runner.clients.spawning + runner.clients.running)
        return 1

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("the rehearsal conductor failed")
            self.environment.process_exit_code = 2
            self._finish()

    def _run(self) -> None:
        scenario, runner = self.scenario, self.environment.runner
        target = getattr(runner, "target_user_count", None) or scenario.users
        options = self.environment.parsed_options
        ramp_timeout = getattr(options, "ramp_timeout", None) or 2 * target / scenario.spawn_rate + 30
        started = time.monotonic()
        while self._sum("subscribed") + self._sum("failed") < target:
            if time.monotonic() - started > ramp_timeout:
                log.warning("ramp timeout (%.0f s): %d of %d users subscribed, %d failed; opening the send phase",
                            ramp_timeout, self._sum("subscribed"), target, self._sum("failed"))
                break
            gevent.sleep(0.2)
        log.info("ramp done in %.1f s: %d subscribed, %d failed; sending for %.0f s",
                 time.monotonic() - started, self._sum("subscribed"), self._sum("failed"), scenario.duration_s)
        runner.send_message("chatstack_go", {"delay": GO_DELAY_S})
        gevent.sleep(GO_DELAY_S + scenario.duration_s)
        self._drain()
        self.tallies.clear()
        runner.send_message("chatstack_collect", {})
        deadline = time.monotonic() + COLLECT_TIMEOUT_S
        while len(self.tallies) < self._workers() and time.monotonic() < deadline:
            gevent.sleep(0.1)
        self.summary = write_summary(list(self.tallies.values()), self.scenario, self.config, target,
                                     self._workers(), Path(self.summary_path) if self.summary_path else None)
        self.environment.process_exit_code = 0 if self.summary["passed"] else 1
        self._settle_locust_stats(self.summary["delivered"])
        self._finish()

    def _settle_locust_stats(self, delivered: int) -> None:
        """Locust's own statistics reach the master every few seconds (workers' reports) and its
        CSV files every second: wait until they hold every delivery, so the CSV and HTML reports
        written at the stop agree with the summary."""
        entry = self.environment.stats.get(f"{self.scenario.subscription_field} delivery", "WSS")
        deadline = time.monotonic() + STATS_SETTLE_TIMEOUT_S
        while entry.num_requests < delivered and time.monotonic() < deadline:
            gevent.sleep(0.1)
        gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.2)

    def _drain(self) -> None:
        """Until every sender is done and every owed delivery is reported, or --drain passes.
        Once the reports say all senders are done, `expected` is final; `delivered` only
        counts real deliveries, so reaching it cannot be premature."""
        deadline = time.monotonic() + self.scenario.drain_s
        while time.monotonic() < deadline:
            if self._sum("sendersDone") >= self.scenario.senders:
                expected, delivered = expected_and_delivered(list(self.progress.values()))
                if delivered >= expected:
                    return
            gevent.sleep(0.2)

    def _finish(self) -> None:
        runner = self.environment.runner
        if getattr(self.environment.parsed_options, "headless", False):
            runner.quit()
        else:
            runner.stop()


_conductor: Conductor | None = None


# ---- wiring ----------------------------------------------------------------------------------

@events.init.add_listener
def _init(environment: Any, runner: Any = None, **_: Any) -> None:
    global _conductor
    if isinstance(runner, WorkerRunner):
        runner.register_message("chatstack_go", _on_go)
        runner.register_message("chatstack_collect", _on_collect)
        return
    options = environment.parsed_options
    if not options.stack:
        raise ScenarioError("--stack is required (the event stack to rehearse)")
    from chatstack.project import find_project

    root = Path(options.project_dir).resolve() if options.project_dir else find_project().root
    scenario, config = build_scenario(
        options.stack, root, Path(options.outputs) if options.outputs else None,
        users=options.num_users or 1, spawn_rate=options.spawn_rate or 1, senders=options.senders,
        messages_per_second=options.messages_per_second, duration_s=options.duration, rooms=options.rooms,
        drain_s=options.drain, settings=options.stack_config,
        oidc_state_dir=Path(options.oidc_state_dir) if options.oidc_state_dir else None,
        attendee_tokens_file=Path(options.attendee_tokens) if options.attendee_tokens else None,
    )
    Sender.fixed_count = scenario.senders
    _conductor = Conductor(environment, scenario, config, options.summary_json)
    runner.register_message("chatstack_progress", _conductor.on_progress)
    runner.register_message("chatstack_tally", _conductor.on_tally)
    if not isinstance(runner, MasterRunner):  # the local runner is its own worker
        runner.register_message("chatstack_go", _on_go)
        runner.register_message("chatstack_collect", _on_collect)
    log.info("rehearsal of stack %s: %s", scenario.stack,
             json.dumps({"users": scenario.users, "senders": scenario.senders, "rooms": scenario.rooms,
                         "messagesPerSecond": scenario.messages_per_second, "duration": scenario.duration_s,
                         "subscription": scenario.subscription_field, "graphqlUrl": scenario.graphql_url}))


def _on_go(environment: Any, msg: Any, **_: Any) -> None:
    if _side is not None:
        _side.open_gate(float(msg.data["delay"]))


def _on_collect(environment: Any, msg: Any, **_: Any) -> None:
    if _side is not None:
        _side.collect()


@events.test_start.add_listener
def _test_start(environment: Any, **_: Any) -> None:
    global _side
    runner = environment.runner
    if not isinstance(runner, WorkerRunner) and _conductor is not None:
        _conductor.new_run()
        gevent.spawn(_conductor.run)
    if not isinstance(runner, MasterRunner):
        scenario = Scenario.from_json(getattr(environment.parsed_options, SCENARIO_OPTION))
        if _side is not None:
            _side.stop()
        _side = WorkerSide(environment, scenario)


@events.test_stop.add_listener
def _test_stop(environment: Any, **_: Any) -> None:
    if _side is not None:
        _side.stop()
