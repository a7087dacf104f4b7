"""The web client in a real browser (Debian's headless Chromium driven by Playwright), against
the local stack serving the production build at its root: users sign in through the
Authenticator and everything is found by its accessible name, as an outside test would.

One stack per fan-out mode and one browser for the module; each test uses its own room.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chatstack.local.session import LOCAL_PASSWORD, BackgroundLoop, sign_up_and_in, verify_email
from chatstack.local.stack import LocalStack
from tests.web_build import built_web_dist

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency (make install)")
expect = playwright_api.expect

# Generous: a 2-core machine shared with other test processes; expect() polls, it does not sleep.
UI_TIMEOUT_MS = 20_000
SEND = """mutation Send($roomId: ID!, $message: String!) {
  sendMessage(roomId: $roomId, message: $message) { roomId messageId sender senderName message createdAt replyCount }
}"""


@dataclass
class ServedStack:
    loop: BackgroundLoop
    local: LocalStack
    outputs: dict
    tokens: dict[str, str] = field(default_factory=dict)

    def user(self, username: str, groups: tuple[str, ...] = ()) -> str:
        """A user as sign-up and its e-mailed code leave them (confirmed, e-mail verified),
        created once, with the local password; returns the username."""
        if username not in self.tokens:
            self.tokens[username] = sign_up_and_in(self.outputs, username, groups)["id"]
            verify_email(self.outputs, username)
        return username

    def send_as(self, username: str, room: str, message: str) -> dict:
        """sendMessage over HTTP, as another client of the stack would."""
        body = json.dumps({"query": SEND, "variables": {"roomId": room, "message": message}}).encode()
        request = urllib.request.Request(self.outputs["graphqlUrl"], data=body, method="POST", headers={
            "Authorization": self.tokens[username], "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            result = json.loads(response.read())
        assert "errors" not in result, result
        return result["data"]["sendMessage"]

    def call_as(self, username: str, query: str, variables: dict) -> dict:
        """Any operation over HTTP, as another client of the stack would."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(self.outputs["graphqlUrl"], data=body, method="POST", headers={
            "Authorization": self.tokens[username], "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            result = json.loads(response.read())
        assert "errors" not in result, result
        return result["data"]

    def url(self, room: str) -> str:
        return f"{self.outputs['webUrl']}?room={room}"


def _serve(stack: str, **config: str) -> Iterator[ServedStack]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    loop = BackgroundLoop(f"web-{stack}")
    local = LocalStack(stack, web_dist=built_web_dist(), keepalive_seconds=5)
    if config:
        from chatstack.offline.evaluation import evaluate_program
        from chatstack.project import read_stack_config

        overrides = {f"chatstack:{k}": v for k, v in config.items()}
        local.run = evaluate_program(stack, config={**read_stack_config(stack), **overrides})
    outputs = loop.run(local.start())
    try:
        yield ServedStack(loop, local, outputs)
    finally:
        loop.run(local.stop())
        loop.close()


@pytest.fixture(scope="module")
def per_message() -> Iterator[ServedStack]:
    yield from _serve("dev")


@pytest.fixture(scope="module")
def batched() -> Iterator[ServedStack]:
    yield from _serve("dev", fanOutMode="batched", flushIntervalMs="200")


@pytest.fixture(scope="module")
def events() -> Iterator[ServedStack]:
    yield from _serve("dev", fanOutMode="events", flushIntervalMs="200")


class Session:
    """One browser context (one user's browser profile) with its page; collects page errors and
    CSP violations, which fail the test."""

    def __init__(self, browser, served: ServedStack, username: str):
        self.context = browser.new_context(viewport={"width": 1100, "height": 700})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", self._console)
        self.served = served
        self.username = served.user(username)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(f"CSP: {message.text}")

    def open(self, room: str) -> Session:
        self.page.goto(self.served.url(room))
        return self

    def sign_in(self) -> Session:
        return self.sign_in_only().live()

    def sign_in_only(self) -> Session:
        """Signs in without waiting for the room to be live (a room that refuses)."""
        page = self.page
        page.get_by_role("textbox", name="Username").fill(self.username)
        page.get_by_label("Password", exact=True).fill(LOCAL_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        return self

    def live(self) -> Session:
        expect(self.page.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
        return self

    def messages(self):
        return self.page.get_by_role("log").get_by_role("article")

    def message(self, text: str):
        return self.messages().filter(has=self.page.get_by_text(text, exact=True))

    def send(self, text: str, with_enter: bool = True) -> None:
        box = self.page.get_by_role("textbox", name="Message")
        box.fill(text)
        if with_enter:
            box.press("Enter")
        else:
            self.page.get_by_role("button", name="Send", exact=True).click()

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


def screenshot(page, name: str) -> None:
    """CHATSTACK_SCREENSHOTS=docs: the docs' pictures of the web client, taken by these tests."""
    folder = os.environ.get("CHATSTACK_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name))


def room(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sessions(browser):
    opened: list[Session] = []

    def open_session(served: ServedStack, username: str, room_id: str, signed_in: bool = True) -> Session:
        session = Session(browser, served, username).open(room_id)
        opened.append(session)
        return session.sign_in() if signed_in else session

    yield open_session
    for session in opened:
        session.close()


def exchange_live(sessions, served: ServedStack, room_id: str) -> tuple[Session, Session]:
    alice = sessions(served, "alice", room_id)
    bob = sessions(served, "bob", room_id)
    alice.send("hello from alice")
    expect(bob.message("hello from alice")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(bob.message("hello from alice")).to_contain_text("alice")
    bob.send("hi alice, bob here", with_enter=False)
    expect(alice.message("hi alice, bob here")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    # The sender's own copy (mutation result and subscription) is shown once.
    expect(alice.message("hello from alice")).to_have_count(1)
    return alice, bob


def history_numbers(reader: Session) -> list[int]:
    """The "history NN" messages in the DOM (the list is virtualised: what is near the view), in order."""
    texts = [t for t in reader.messages().all_inner_texts() if "history" in t]
    return [int(re.search(r"history (\d+)", t).group(1)) for t in texts]


def scroll_messages(reader: Session, pixels: int) -> None:
    """A mouse wheel over the feed (just below the room's top bar)."""
    bar = reader.page.get_by_role("banner").bounding_box()
    reader.page.mouse.move(bar["x"] + bar["width"] / 3, bar["y"] + bar["height"] + 80)
    reader.page.mouse.wheel(0, pixels)
    reader.page.wait_for_timeout(50)


def page_history(sessions, served: ServedStack, room_id: str) -> None:
    served.user("carol")
    sent = [served.send_as("carol", room_id, f"history {i:02d}") for i in range(60)]
    reader = sessions(served, "bob", room_id)
    expect(reader.message("history 59")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(reader.message("history 00")).to_have_count(0)
    bar = reader.page.get_by_role("banner").bounding_box()
    view_top = bar["y"] + bar["height"]  # the feed starts below the room's top bar
    load_earlier = reader.page.get_by_role("button", name="Load earlier messages")
    for _ in range(20):  # up to the oldest message held, where the button is in view
        scroll_messages(reader, -2000)
        if load_earlier.bounding_box()["y"] >= view_top - 1:
            break
    top = next(m for m in reader.messages().all() if m.bounding_box()["y"] >= view_top)  # the first in view
    top_text, top_y = re.search(r"history \d+", top.inner_text()).group(0), top.bounding_box()["y"]
    reader.page.get_by_role("button", name="Load earlier messages").click()
    expect(reader.page.get_by_role("button", name="Load earlier messages")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    # The view stays put: the message that was at the top is where it was once the list has laid
    # the older page out (the scroll is restored in the frame after it renders: read it then).
    still = reader.message(top_text)
    positions = []
    for _ in range(20):
        positions.append(still.bounding_box()["y"])
        if abs(positions[-1] - top_y) <= 3:
            break
        reader.page.wait_for_timeout(50)
    assert abs(positions[-1] - top_y) <= 3, (positions, top_y)
    for _ in range(20):
        if reader.message("history 00").count():
            break
        scroll_messages(reader, -2000)
    expect(reader.message("history 00")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    numbers = history_numbers(reader)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] == 0, numbers
    for _ in range(20):
        if reader.message("history 59").count() and reader.message("history 59").is_visible():
            break
        scroll_messages(reader, 2000)
    numbers = history_numbers(reader)
    assert numbers == list(range(numbers[0], 60)), numbers  # oldest first, newest at the bottom, each once
    assert [m["messageId"] for m in sent] == sorted(m["messageId"] for m in sent)


def reply_in_thread(alice: Session, bob: Session) -> None:
    alice.message("hello from alice").get_by_role("button", name=re.compile(r"^Reply")).click()
    thread = alice.page.get_by_role("region", name="Thread")
    thread.get_by_role("textbox", name="Reply").fill("a reply in the thread")
    thread.get_by_role("button", name="Send reply").click()
    expect(thread.get_by_text("a reply in the thread")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(bob.message("hello from alice").get_by_role("button", name=re.compile(r"^Reply"))).to_have_text(
        "Reply (1 reply)", timeout=UI_TIMEOUT_MS)
    bob.message("hello from alice").get_by_role("button", name=re.compile(r"^Reply")).click()
    expect(bob.page.get_by_role("region", name="Thread").get_by_text("a reply in the thread")).to_be_visible(
        timeout=UI_TIMEOUT_MS)


def test_two_users_exchange_messages_live_page_history_and_reply(per_message, sessions):
    room_id = room("lobby")
    alice, bob = exchange_live(sessions, per_message, room_id)
    reply_in_thread(alice, bob)
    page_history(sessions, per_message, room("history"))
    screenshot = os.environ.get("CHATSTACK_SCREENSHOT")
    if screenshot:  # the docs' picture: CHATSTACK_SCREENSHOT=docs/web-client.png
        alice.page.screenshot(path=screenshot)


def test_addresses_in_messages_are_safe_links(per_message, sessions):
    alice, bob = exchange_live(sessions, per_message, room("links"))
    alice.send("slides: https://example.com/deck?id=7. and javascript:alert(1) stays text")
    message = bob.message("slides: https://example.com/deck?id=7. and javascript:alert(1) stays text")
    expect(message).to_have_count(1, timeout=UI_TIMEOUT_MS)
    link = message.get_by_role("link", name="https://example.com/deck?id=7")
    expect(link).to_have_attribute("href", "https://example.com/deck?id=7")  # the full stop is not part of it
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(message.get_by_role("link")).to_have_count(1)


def test_batched_stack_exchange_live_page_history_and_reply(batched, sessions):
    assert batched.outputs["fanOutMode"] == "batched"
    alice, bob = exchange_live(sessions, batched, room("batched"))
    reply_in_thread(alice, bob)
    page_history(sessions, batched, room("batched-history"))


def test_events_stack_delivers_through_the_event_api_with_replies_and_deletions(events, sessions):
    """fanOutMode events: the page holds the room's Event API channel (no GraphQL subscription):
    batches and room events arrive on it."""
    assert events.outputs["fanOutMode"] == "events" and events.outputs["eventsRealtimeUrl"].endswith("/event/realtime")
    room_id = room("events")
    alice, bob = exchange_live(sessions, events, room_id)
    reply_in_thread(alice, bob)
    assert events.local.event_api.subscribers(f"/rooms/{room_id}") == 2
    assert not events.local.appsync.realtime.subscriptions("onMessageBatch", {"roomId": room_id})
    events.user("mia", groups=("moderators",))
    moderator = sessions(events, "mia", room_id)
    moderator.message("hi alice, bob here").get_by_role("button", name="Delete message").click()
    confirm = moderator.page.get_by_role("dialog", name="Delete message?")
    confirm.get_by_role("button", name="Delete", exact=True).click()
    expect(alice.message("hi alice, bob here")).to_have_count(0, timeout=UI_TIMEOUT_MS)  # a room event


def test_a_moderator_sees_a_senders_messages_across_rooms(per_message, sessions):
    first, second = room("mod-a"), room("mod-b")
    per_message.user("dave")
    per_message.send_as("dave", first, "dave in room a")
    per_message.send_as("dave", second, "dave in room b")
    per_message.user("mia", groups=("moderators",))
    moderator = sessions(per_message, "mia", first)
    expect(moderator.message("dave in room a")).to_be_visible(timeout=UI_TIMEOUT_MS)
    moderator.message("dave in room a").get_by_role("button", name="Messages by dave").click()
    panel = moderator.page.get_by_role("region", name="Messages by dave")
    expect(panel.get_by_text("dave in room b")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(panel.get_by_text("dave in room a")).to_be_visible()
    # An attendee has no such button.
    attendee = sessions(per_message, "bob", first)
    expect(attendee.message("dave in room a")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(attendee.message("dave in room a").get_by_role("button", name="Messages by dave")).to_have_count(0)


def test_a_moderators_delete_removes_the_message_from_every_page_live(per_message, sessions):
    room_id = room("delete")
    alice = sessions(per_message, "alice", room_id)
    bob = sessions(per_message, "bob", room_id)
    alice.send("please delete me")
    expect(bob.message("please delete me")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    alice.send("keep me")
    expect(bob.message("keep me")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    # Attendees have no moderation actions.
    expect(bob.message("keep me").get_by_role("button", name=re.compile(r"^(Delete|Ban)"))).to_have_count(0)
    per_message.user("mia", groups=("moderators",))
    moderator = sessions(per_message, "mia", room_id)
    expect(moderator.message("please delete me").get_by_role("button", name=re.compile(r"^Ban"))).to_have_text(
        "Ban alice", timeout=UI_TIMEOUT_MS)
    moderator.message("please delete me").get_by_role("button", name=re.compile(r"^Delete")).click()
    confirm = moderator.page.get_by_role("dialog", name="Delete message?")
    expect(confirm).to_contain_text("please delete me")
    confirm.get_by_role("button", name="Delete", exact=True).click()
    expect(confirm).to_have_count(0)
    expect(moderator.message("please delete me")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    expect(bob.message("please delete me")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    expect(alice.message("please delete me")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    expect(bob.message("keep me")).to_have_count(1)
    bob.page.reload()
    bob.live()
    expect(bob.message("keep me")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(bob.message("please delete me")).to_have_count(0)
    # Ban, permanently (the dialog's default is a 10-minute timeout): alice may no longer post in the room.
    moderator.message("keep me").get_by_role("button", name="Ban alice").click()
    ban = moderator.page.get_by_role("dialog", name="Ban alice")
    expect(ban.get_by_role("radio", name="10 minutes")).to_be_checked()
    ban.get_by_role("radio", name="Permanent").check()
    ban.get_by_role("textbox", name="Reason").fill("spam")
    ban.get_by_role("button", name="Ban", exact=True).click()
    expect(moderator.page.get_by_text(f"Banned alice from #{room_id}.")).to_be_visible(timeout=UI_TIMEOUT_MS)
    alice.send("after the ban")
    expect(alice.page.get_by_role("alert")).to_contain_text("A moderator has banned you from this room.",
                                                            timeout=UI_TIMEOUT_MS)
    # Back in the room, the banned attendee is told so, in words, instead of "Reconnecting…" forever.
    alice.page.reload()
    expect(alice.page.get_by_role("status")).to_have_text("Not joined", timeout=UI_TIMEOUT_MS)
    refusal = alice.page.get_by_role("alert")
    expect(refusal.get_by_role("heading")).to_have_text("A moderator has banned you from this room.")
    expect(refusal).to_contain_text("You can still join other rooms")
    expect(refusal.get_by_role("link", name="Go to the lobby")).to_have_attribute("href", "?room=lobby")
    expect(alice.page.get_by_role("textbox", name="Message")).to_have_count(0)


def test_a_timed_ban_and_an_invalid_room_say_what_happened_and_what_to_do(per_message, sessions):
    room_id = room("timed")
    alice = sessions(per_message, "alice", room_id)
    alice.send("before the ban")
    per_message.user("mia", groups=("moderators",))
    moderator = sessions(per_message, "mia", room_id)
    moderator.message("before the ban").get_by_role("button", name="Ban alice").click()
    moderator.page.get_by_role("dialog", name="Ban alice").get_by_role("radio", name="1 hour").check()
    moderator.page.get_by_role("dialog", name="Ban alice").get_by_role("button", name="Ban", exact=True).click()
    expect(moderator.page.get_by_text(f"Timed out alice in #{room_id} for 1 hour.")).to_be_visible(
        timeout=UI_TIMEOUT_MS)
    alice.send("during the ban")
    alert = alice.page.get_by_role("alert")
    expect(alert).to_contain_text("A moderator has banned you from this room until", timeout=UI_TIMEOUT_MS)
    expect(alert).not_to_contain_text("Z")  # a local time, not the raw ISO timestamp
    expect(alice.page.get_by_role("textbox", name="Message")).to_have_value("during the ban")  # text kept
    mistyped = sessions(per_message, "bob", "lobby!", signed_in=False).sign_in_only()
    expect(mistyped.page.get_by_role("status")).to_have_text("Not joined", timeout=UI_TIMEOUT_MS)
    expect(mistyped.page.get_by_role("alert").get_by_role("heading")).to_have_text(
        "This room does not exist: its name in the link is not valid.")


def test_an_over_long_message_shows_the_error_and_keeps_the_text(per_message, sessions):
    alice = sessions(per_message, "alice", room("errors"))
    too_long = "x" * 2001
    alice.send(too_long)
    alert = alice.page.get_by_role("alert")
    expect(alert).to_contain_text("ValidationError", timeout=UI_TIMEOUT_MS)
    expect(alice.page.get_by_role("textbox", name="Message")).to_have_value(too_long)
    expect(alice.messages()).to_have_count(0)


def test_a_server_side_drop_recovers_to_live_without_losing_messages(per_message, sessions):
    room_id = room("drop")
    bob = sessions(per_message, "bob", room_id)
    per_message.user("alice")
    per_message.loop.run(per_message.local.appsync.realtime.close_all())
    expect(bob.page.get_by_role("status")).not_to_have_text("Live", timeout=UI_TIMEOUT_MS)
    sent = [per_message.send_as("alice", room_id, f"while away {i}") for i in range(3)]
    bob.live()
    for message in sent:
        expect(bob.message(message["message"])).to_have_count(1, timeout=UI_TIMEOUT_MS)
    per_message.send_as("alice", room_id, "after the drop")
    expect(bob.message("after the drop")).to_have_count(1, timeout=UI_TIMEOUT_MS)


def test_the_session_survives_a_reload_and_token_expiry(per_message, sessions):
    room_id = room("session")
    alice = sessions(per_message, "alice", room_id)
    alice.page.reload()
    alice.live()  # no sign-in form: the session came back from storage
    expect(alice.page.get_by_role("button", name="Sign in")).to_have_count(0)
    # Make every held token look expired (Amplify compares exp with the clock plus its drift):
    # the next request must refresh them with the refresh token first.
    alice.page.evaluate("""() => {
        for (const key of Object.keys(localStorage)) {
            if (key.endsWith('.clockDrift')) localStorage.setItem(key, String(3 * 3600 * 1000));
        }
    }""")
    with alice.page.expect_request(lambda r: r.url.startswith(per_message.outputs["cognitoEndpoint"])
                                   and "Token" in (r.headers.get("x-amz-target") or ""),
                                   timeout=UI_TIMEOUT_MS):
        alice.page.reload()
    alice.live()
    alice.send("sent with refreshed tokens")
    expect(alice.message("sent with refreshed tokens")).to_have_count(1, timeout=UI_TIMEOUT_MS)


def test_a_pool_that_lets_people_sign_up_offers_create_account(browser, per_message):
    # config.json's selfSignUp (the pool's own setting): staff-only pools hide it (tests/web/test_attendees.py)
    page = browser.new_context().new_page()
    page.goto(per_message.url(room("sign-up")))
    expect(page.get_by_role("tab", name="Create Account")).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.context.close()


def messages_in_view(session: Session) -> int:
    bar = session.page.get_by_role("banner").bounding_box()
    composer = session.page.get_by_role("textbox", name="Message").bounding_box()
    top, bottom = bar["y"] + bar["height"], composer["y"]
    return sum(1 for m in session.messages().all()
               if (box := m.bounding_box()) and box["y"] >= top - 1 and box["y"] + box["height"] <= bottom + 1)


def test_the_feed_is_compact_marks_own_messages_dates_them_and_offers_a_jump_to_new_ones(per_message, sessions):
    room_id = room("feed")
    per_message.user("carol")
    for i in range(40):
        per_message.send_as("carol", room_id, f"short {i:02d}")
    bob = sessions(per_message, "bob", room_id)
    bob.page.set_viewport_size({"width": 1280, "height": 800})
    expect(bob.message("short 39")).to_be_visible(timeout=UI_TIMEOUT_MS)
    assert messages_in_view(bob) >= 18, messages_in_view(bob)  # as live chats: one line a message
    today = bob.page.evaluate("new Intl.DateTimeFormat(undefined, {dateStyle: 'full'}).format(new Date())")
    for _ in range(10):  # the day's separator stands above its first message
        scroll_messages(bob, -2000)
    expect(bob.page.get_by_role("separator", name=today)).to_be_in_viewport(timeout=UI_TIMEOUT_MS)
    bob.page.get_by_role("textbox", name="Message").focus()
    for _ in range(10):
        scroll_messages(bob, 2000)

    bob.send("mine")
    expect(bob.message("mine")).to_contain_text("(you)", timeout=UI_TIMEOUT_MS)
    expect(bob.message("short 39")).not_to_contain_text("(you)")

    scroll_messages(bob, -600)  # reading back: new messages do not pull the view down
    bob.page.wait_for_timeout(500)  # the list settles after a wheel scroll (a reader reads for longer)
    expect(bob.message("mine")).not_to_be_in_viewport(timeout=UI_TIMEOUT_MS)
    for i in range(3):
        per_message.send_as("carol", room_id, f"while away {i}")
    jump = bob.page.get_by_role("button", name="Jump to new messages (3)")
    expect(jump).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(bob.message("while away 2")).not_to_be_in_viewport()
    screenshot(bob.page, "web-feed.png")
    jump.click()
    expect(bob.message("while away 2")).to_be_in_viewport(timeout=UI_TIMEOUT_MS)
    expect(bob.page.get_by_role("button", name=re.compile("^Jump to new messages"))).to_have_count(0)


def save_room_settings(moderator: Session, slow_mode_seconds: int, blocked_terms: str):
    """The moderator's Room settings dialog, filled in and saved; the dialog's locator."""
    moderator.page.get_by_role("button", name="Room settings").click()
    dialog = moderator.page.get_by_role("dialog", name="Room settings")
    dialog.get_by_role("spinbutton", name="Slow mode (seconds)").fill(str(slow_mode_seconds))
    dialog.get_by_role("textbox", name="Blocked terms").fill(blocked_terms)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0, timeout=UI_TIMEOUT_MS)
    return dialog


def test_the_moderator_console_pins_sets_slow_mode_and_blocked_terms_and_lifts_bans(per_message, sessions):
    room_id = room("console")
    alice = sessions(per_message, "alice", room_id)
    alice.send("read the schedule at https://example.org/schedule")
    per_message.user("mia", groups=("moderators",))
    moderator = sessions(per_message, "mia", room_id)
    message = moderator.message("read the schedule at https://example.org/schedule")
    expect(message).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(alice.page.get_by_role("button", name="Room settings")).to_have_count(0)  # attendees: no console

    # Pin: everyone sees it at the top, live; unpin takes it away for everyone.
    message.get_by_role("button", name="Pin message").click()
    for page in (moderator.page, alice.page):
        pinned = page.get_by_role("region", name="Pinned message")
        expect(pinned).to_contain_text("read the schedule at", timeout=UI_TIMEOUT_MS)
    expect(alice.page.get_by_role("region", name="Pinned message").get_by_role("button", name="Unpin")).to_have_count(0)
    alice.page.reload()
    alice.live()
    expect(alice.page.get_by_role("region", name="Pinned message")).to_contain_text("schedule", timeout=UI_TIMEOUT_MS)
    moderator.page.get_by_role("region", name="Pinned message").get_by_role("button", name="Unpin").click()
    expect(alice.page.get_by_role("region", name="Pinned message")).to_have_count(0, timeout=UI_TIMEOUT_MS)

    # Room settings: blocked terms refuse a message; slow mode is kept.
    dialog = save_room_settings(moderator, slow_mode_seconds=0, blocked_terms="spoiler\nleak")
    alice.send("big spoiler ahead")
    expect(alice.page.get_by_role("alert")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(alice.message("big spoiler ahead")).to_have_count(0)
    moderator.page.get_by_role("button", name="Room settings").click()
    expect(dialog.get_by_role("textbox", name="Blocked terms")).to_have_value("spoiler\nleak")
    dialog.get_by_role("button", name="Cancel").click()

    # A ban shows in the moderation log with Unban; lifting it lets alice post again.
    message.get_by_role("button", name="Ban alice").click()
    moderator.page.get_by_role("dialog", name="Ban alice").get_by_role("textbox", name="Reason").fill("flooding")
    moderator.page.get_by_role("dialog", name="Ban alice").get_by_role("button", name="Ban", exact=True).click()
    moderator.page.get_by_role("button", name="Moderation log").click()
    log = moderator.page.get_by_role("region", name="Moderation log")
    expect(log).to_contain_text("flooding", timeout=UI_TIMEOUT_MS)
    expect(log).to_contain_text("changed the room settings")
    message.get_by_role("button", name="Pin message").click()
    expect(moderator.page.get_by_role("region", name="Pinned message")).to_be_visible(timeout=UI_TIMEOUT_MS)
    screenshot(moderator.page, "moderator-console.png")
    moderator.page.get_by_role("region", name="Pinned message").get_by_role("button", name="Unpin").click()
    log.get_by_role("button", name="Unban").click()
    expect(log.get_by_role("button", name="Unban")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    expect(log).to_contain_text("lifted the ban on")
    alice.page.reload()  # the ban closed her subscriptions; back in the room, she is welcome again
    alice.live()
    alice.page.get_by_role("textbox", name="Message").fill("")
    alice.send("back again")
    expect(moderator.message("back again")).to_have_count(1, timeout=UI_TIMEOUT_MS)


def test_sends_queue_in_order_refusals_count_down_and_the_draft_survives(per_message, sessions):
    room_id = room("states")
    alice = sessions(per_message, "alice", room_id)
    box = alice.page.get_by_role("textbox", name="Message")
    for text in ("one", "two", "three"):  # typed faster than each round trip: queued, in order
        box.fill(text)
        box.press("Enter")
    for text in ("one", "two", "three"):
        expect(alice.message(text)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    texts = alice.messages().all_inner_texts()
    order = [w for t in texts for w in ("one", "two", "three") if re.search(rf"(^|\n){w}(\n|$)", t)]
    assert order == ["one", "two", "three"], texts

    per_message.user("mia", groups=("moderators",))
    moderator = sessions(per_message, "mia", room_id)
    save_room_settings(moderator, slow_mode_seconds=4, blocked_terms="spoiler")

    alice.send("a spoiler")
    alert = alice.page.get_by_role("alert")
    expect(alert).to_have_text("Your message contains a term this room does not allow. Change it and send again.",
                               timeout=UI_TIMEOUT_MS)
    expect(box).to_have_value("a spoiler")  # refused text comes back
    alice.send("first in slow mode")
    expect(alice.message("first in slow mode")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    alice.send("too soon")
    expect(alert).to_contain_text("Slow mode is on: one message every 4 seconds.", timeout=UI_TIMEOUT_MS)
    expect(box).to_have_value("too soon")
    send = alice.page.get_by_role("button", name=re.compile(r"^Send \(\d s\)$"))
    expect(send).to_be_disabled()
    expect(alice.page.get_by_role("button", name="Send", exact=True)).to_be_enabled(timeout=6_000)  # live, on time
    expect(alice.page.get_by_role("alert")).to_have_count(0)
    box.press("Enter")
    expect(alice.message("too soon")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    # The draft outlives a reload and a new sign-in, in the same room.
    box.fill("half-typed thought")
    alice.page.reload()
    alice.live()
    expect(box).to_have_value("half-typed thought")
    alice.page.get_by_role("button", name="Sign out").click()
    alice.sign_in()
    expect(alice.page.get_by_role("heading", name=f"#{room_id}")).to_be_visible()
    expect(alice.page.get_by_role("textbox", name="Message")).to_have_value("half-typed thought")


def test_keyboard_and_touch_sign_in_landmarks_skip_link_focus_return_and_44px_targets(per_message, sessions):
    room_id = room("a11y")
    alice = sessions(per_message, "alice", room_id, signed_in=False)
    expect(alice.page.get_by_role("main")).to_have_count(1)
    expect(alice.page.get_by_role("heading", level=1)).to_have_count(1)
    alice.sign_in()
    alice.send("open my thread")
    expect(alice.message("open my thread")).to_have_count(1, timeout=UI_TIMEOUT_MS)

    alice.page.reload()
    alice.live()
    alice.page.keyboard.press("Tab")  # the page's first stop: straight to the message box
    skip = alice.page.get_by_role("link", name="Skip to message box")
    expect(skip).to_be_focused()
    alice.page.keyboard.press("Enter")
    expect(alice.page.get_by_role("textbox", name="Message")).to_be_focused()

    reply = alice.message("open my thread").get_by_role("button", name=re.compile(r"^Reply"))
    reply.click()
    expect(alice.page.get_by_role("textbox", name="Reply")).to_be_focused()
    alice.page.keyboard.press("Escape")
    expect(alice.page.get_by_role("region", name="Thread")).to_have_count(0)
    expect(reply).to_be_focused()  # back where the reader was, not the page body

    alice.page.set_viewport_size({"width": 390, "height": 844})  # a phone
    screenshot(alice.page, "phone.png")
    small = []
    for button in alice.page.get_by_role("button").all():
        box = button.bounding_box()
        if box and button.is_visible() and (box["width"] < 44 or box["height"] < 44):
            small.append((button.inner_text(), box["width"], box["height"]))
    assert small == [], small

    # A moderator's row of actions (the longest) wraps within the narrowest phone's width.
    per_message.user("mia", groups=("moderators",))
    moderator = sessions(per_message, "mia", room_id)
    moderator.page.set_viewport_size({"width": 320, "height": 640})
    expect(moderator.message("open my thread").get_by_role("button", name="Ban alice")).to_be_visible()
    outside = [(b.inner_text(), box["x"] + box["width"]) for b in moderator.page.get_by_role("button").all()
               if b.is_visible() and (box := b.bounding_box()) and box["x"] + box["width"] > 320]
    assert outside == [], outside


def test_a_german_browser_gets_the_chat_in_german(browser, per_message):
    """Language from the browser (navigator.languages); the document's lang follows; times in its locale."""
    context = browser.new_context(locale="de-DE", viewport={"width": 1100, "height": 700})
    try:
        page = context.new_page()
        room_id = room("deutsch")
        page.goto(per_message.url(room_id))
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", level=1)).to_have_text("Event-Chat")
        page.get_by_role("textbox", name="Benutzername").fill(per_message.user("greta"))
        page.get_by_label("Passwort", exact=True).fill(LOCAL_PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        expect(page.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
        box = page.get_by_role("textbox", name="Nachricht")
        box.fill("Hallo zusammen")
        page.get_by_role("button", name="Senden", exact=True).click()
        message = page.get_by_role("log").get_by_role("article").filter(has=page.get_by_text("Hallo zusammen"))
        expect(message).to_contain_text("(du)", timeout=UI_TIMEOUT_MS)
        expect(message.get_by_role("button", name="Antworten")).to_have_count(1)
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
        time_text = message.locator("time").inner_text()
        assert "AM" not in time_text and "PM" not in time_text, time_text  # 24-hour German time
    finally:
        context.close()


BAN = """mutation Ban($roomId: ID!, $userId: String!, $seconds: Int) {
  banUser(roomId: $roomId, userId: $userId, durationSeconds: $seconds) { userId expiresAt }
}"""


def test_a_timed_out_attendee_is_back_in_the_room_when_the_timeout_ends(per_message, sessions):
    room_id = room("timeout")
    alice = sessions(per_message, "alice", room_id)
    alice.send("before")
    expect(alice.message("before")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    per_message.user("mia", groups=("moderators",))
    alice_id = per_message.send_as("alice", room_id, "my id")["sender"]
    per_message.call_as("mia", BAN, {"roomId": room_id, "userId": alice_id, "seconds": 5})
    alice.page.get_by_role("textbox", name="Message").fill("kept through the timeout")
    alice.page.reload()
    expect(alice.page.get_by_role("status")).to_have_text("Not joined", timeout=UI_TIMEOUT_MS)
    expect(alice.page.get_by_role("alert").get_by_role("heading")).to_contain_text("until")
    alice.live()  # no click: when the timeout ends, the page joins again by itself
    expect(alice.page.get_by_role("textbox", name="Message")).to_have_value("kept through the timeout")
