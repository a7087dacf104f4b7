"""Attendees of an oidc stack in a real browser: they join through the event platform's sign-in
(the local issuer's login page: Authorization Code with PKCE), staff through the stack's
Cognito pool behind "Staff sign-in". Found by accessible name, as an outside test would."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.test_browser import UI_TIMEOUT_MS, ServedStack, _serve, expect, room

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
# CHATSTACK_SCREENSHOTS=docs: the docs' pictures of the attendee paths, taken by these tests.
SCREENSHOTS = os.environ.get("CHATSTACK_SCREENSHOTS")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / name))


@pytest.fixture(scope="module")
def oidc_stack() -> Iterator[ServedStack]:
    # dev names the moderator claim chat_moderator; attendees are signed in by the "event platform"
    yield from _serve("dev", attendeeAuth="oidc")


class Attendee:
    def __init__(self, browser, served: ServedStack):
        self.context = browser.new_context(viewport={"width": 1100, "height": 700})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", lambda m: ("Content Security Policy" in m.text or "Refused to" in m.text)
                     and self.problems.append(f"CSP: {m.text}"))
        self.served = served

    def join(self, room_id: str, name: str, moderator: bool = False) -> Attendee:
        page = self.page
        page.goto(self.served.url(room_id))
        expect(page.get_by_role("heading", name="Join the chat")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.get_by_role("link", name="Staff sign-in")).to_be_visible()
        screenshot(page, "attendee-join.png")
        page.get_by_role("button", name="Join chat").click()
        # the event platform's sign-in page (the local issuer's)
        page.get_by_role("textbox", name="Display name").fill(name)
        if moderator:
            page.get_by_role("checkbox", name="Moderator").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
        return self

    def message(self, text: str):
        return self.page.get_by_role("log").get_by_role("article").filter(has=self.page.get_by_text(text, exact=True))

    def send(self, text: str) -> None:
        box = self.page.get_by_role("textbox", name="Message")
        box.fill(text)
        box.press("Enter")

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


def test_attendees_join_through_the_event_platform_and_chat_live(browser, oidc_stack):
    room_id = room("oidc")
    ann = Attendee(browser, oidc_stack).join(room_id, "Ann")
    bob = Attendee(browser, oidc_stack).join(room_id, "Bob")
    try:
        # the room survived the redirect, and the code and state left the address bar
        assert ann.page.url.endswith(f"?room={room_id}")
        ann.send("hello from the event platform")
        expect(bob.message("hello from the event platform")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        expect(bob.message("hello from the event platform")).to_contain_text("Ann")
        bob.send("hi Ann")
        expect(ann.message("hi Ann")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        screenshot(ann.page, "attendee-chat.png")
        # tokens live in sessionStorage, never in localStorage
        local = ann.page.evaluate("Object.values(localStorage).join('\\n')")
        session = ann.page.evaluate("Object.values(sessionStorage).join('\\n')")
        assert not JWT.search(local) and JWT.search(session)
        # an attendee without the moderator claim has no moderator tools
        expect(bob.message("hello from the event platform").get_by_role("button", name=re.compile("^Ban"))) \
            .to_have_count(0)
        # signing out returns to the join page
        ann.page.get_by_role("button", name="Sign out").click()
        expect(ann.page.get_by_role("button", name="Join chat")).to_be_visible(timeout=UI_TIMEOUT_MS)
    finally:
        ann.close()
        bob.close()


def test_the_moderator_claim_shows_moderator_tools(browser, oidc_stack):
    room_id = room("oidc-mod")
    mod = Attendee(browser, oidc_stack).join(room_id, "Mia", moderator=True)
    ann = Attendee(browser, oidc_stack).join(room_id, "Ann")
    try:
        ann.send("please moderate me")
        message = mod.message("please moderate me")
        expect(message).to_have_count(1, timeout=UI_TIMEOUT_MS)
        expect(message.get_by_role("button", name="Ban Ann")).to_be_visible()
    finally:
        mod.close()
        ann.close()


SESSION_TOKEN = "Object.values(sessionStorage).join('\\n').match(/eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+/)?.[0] ?? ''"


def test_silent_renewal_mid_session_keeps_the_draft_and_the_subscription(browser, oidc_stack):
    room_id = room("oidc-renew")
    issuer = oidc_stack.local.oidc_issuer
    lifetime = issuer.ttl_seconds
    # tokens that live 65 s: oidc-client-ts renews a minute before expiry, 5 s after joining
    issuer.ttl_seconds = 65
    try:
        ann = Attendee(browser, oidc_stack).join(room_id, "Ann")
        first = ann.page.evaluate(SESSION_TOKEN)
        box = ann.page.get_by_role("textbox", name="Message")
        box.fill("a draft kept across renewal")
        ann.page.wait_for_function(f"first => ({SESSION_TOKEN}) !== first", arg=first, timeout=UI_TIMEOUT_MS)
    finally:
        issuer.ttl_seconds = lifetime
    try:
        renewed = ann.page.evaluate(SESSION_TOKEN)
        assert JWT.fullmatch(renewed) and renewed != first
        # the same chat: the draft is as typed, and the room's subscription still delivers
        expect(box).to_have_value("a draft kept across renewal")
        oidc_stack.user("renew-carol")
        oidc_stack.send_as("renew-carol", room_id, "still live after the refresh")
        expect(ann.message("still live after the refresh")).to_have_count(1, timeout=UI_TIMEOUT_MS)
        box.press("Enter")  # the draft goes out with the renewed token
        expect(ann.message("a draft kept across renewal")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    finally:
        ann.close()


def test_staff_sign_in_on_an_oidc_stack_is_the_cognito_pool_without_sign_up(browser, oidc_stack):
    staff = oidc_stack.user("staffmod", groups=("moderators",))
    room_id = room("staff")
    page = browser.new_context().new_page()
    page.goto(oidc_stack.url(room_id))
    page.get_by_role("link", name="Staff sign-in").click()
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("tab", name="Create Account")).to_have_count(0)  # staff are created by admins
    from chatstack.local.session import LOCAL_PASSWORD

    page.get_by_role("textbox", name="Username").fill(staff)
    page.get_by_label("Password", exact=True).fill(LOCAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
    # a moderator of the pool gets the moderator tools on an attendee's message
    oidc_stack.tokens["oidc-dan"] = oidc_stack.local.oidc_issuer.mint("oidc-dan", "Dan")
    oidc_stack.send_as("oidc-dan", room_id, "an attendee's message for staff")
    message = page.get_by_role("log").get_by_role("article").filter(
        has=page.get_by_text("an attendee's message for staff", exact=True))
    expect(message.get_by_role("button", name="Ban Dan")).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.context.close()


# ------------------------------------------------------------------ embedded in the event platform's page

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@contextlib.contextmanager
def host_server() -> Iterator[str]:
    """examples/ served on its own origin (another port is another origin)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(EXAMPLES))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[str, str]]:
    with host_server() as listed, host_server() as unlisted:
        yield listed, unlisted


@pytest.fixture(scope="module")
def embeddable(hosts) -> Iterator[ServedStack]:
    yield from _serve("dev", attendeeAuth="oidc", webApp="true", webAppEmbedOrigins=json.dumps([hosts[0]]))


def open_host(browser, host: str, served: ServedStack, room_id: str):
    page = browser.new_context().new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{host}/embed-host.html?chat={urllib.parse.quote(served.url(room_id), safe='')}")
    page.evaluate("""() => { window.tokenRequests = 0; addEventListener('message', (e) => {
        if (e.data && e.data.type === 'chatstack:token-request') window.tokenRequests++; }); }""")
    return page, page.frame_locator("iframe[title='Event chat']"), problems


def hand_token(page, token: str) -> None:
    page.get_by_role("textbox", name="Attendee token").fill(token)
    page.get_by_role("button", name="Hand token to chat").click()


def test_an_attendee_chats_inside_the_event_page_and_renewal_keeps_the_draft(browser, hosts, embeddable):
    room_id = room("embed")
    issuer = embeddable.local.oidc_issuer
    page, chat, problems = open_host(browser, hosts[0], embeddable, room_id)
    expect(chat.get_by_role("status")).to_have_text(re.compile("Waiting for the event page"), timeout=UI_TIMEOUT_MS)
    # a token that expires in 65 s: the chat asks for the next one a minute early, 5 s from now
    hand_token(page, issuer.mint("embedded-ann", "Ann", ttl_seconds=65))
    expect(chat.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
    box = chat.get_by_role("textbox", name="Message")
    box.fill("hello from inside the event page")
    box.press("Enter")
    message = chat.get_by_role("log").get_by_role("article").filter(
        has=chat.get_by_text("hello from inside the event page", exact=True))
    expect(message).to_have_count(1, timeout=UI_TIMEOUT_MS)
    box.fill("a draft kept across renewal")
    page.get_by_role("textbox", name="Attendee token").fill(issuer.mint("embedded-ann", "Ann"))
    requests = page.evaluate("window.tokenRequests")
    page.wait_for_function(f"window.tokenRequests > {requests}", timeout=UI_TIMEOUT_MS)
    # the host answered with the new token: the chat, its draft and its subscription are as they were
    expect(box).to_have_value("a draft kept across renewal")
    embeddable.user("carol")
    embeddable.send_as("carol", room_id, "still live after renewal")
    expect(chat.get_by_text("still live after renewal", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    screenshot(page, "embed-host.png")
    assert problems == []
    page.context.close()


def test_a_host_not_in_the_embed_list_cannot_frame_the_chat_or_hand_it_a_token(browser, hosts, embeddable):
    page, chat, _ = open_host(browser, hosts[1], embeddable, room("embed-other"))
    refused = []
    page.on("console", lambda m: "frame-ancestors" in m.text and refused.append(m.text))
    page.reload()
    page.evaluate("""() => { window.tokenRequests = 0; addEventListener('message', (e) => {
        if (e.data && e.data.type === 'chatstack:token-request') window.tokenRequests++; }); }""")
    hand_token(page, embeddable.local.oidc_issuer.mint("embedded-eve", "Eve"))
    page.wait_for_timeout(1_500)
    # CSP frame-ancestors: the chat's page never loads in this frame (no status, no message box)
    assert any("frame-ancestors" in text for text in refused), refused
    expect(chat.get_by_role("status")).to_have_count(0)
    expect(chat.get_by_role("textbox", name="Message")).to_have_count(0)
    assert page.evaluate("window.tokenRequests") == 0  # the chat never ran there, never asked this host
    page.context.close()


def test_a_token_from_another_origin_is_ignored_and_never_answered(browser, hosts, embeddable):
    """The chat runs in a listed host's page; a page on an unlisted origin that holds a reference to
    it (it opened the host page) posts a valid token into the chat's frame."""
    listed, unlisted = hosts
    issuer = embeddable.local.oidc_issuer
    attacker = browser.new_context().new_page()
    attacker.goto(f"{unlisted}/embed-host.html?chat=about:blank")
    attacker.evaluate("""() => { window.answers = 0; addEventListener('message', () => window.answers++); }""")
    chat_url = embeddable.url(room("embed-attacked"))
    with attacker.expect_popup() as popup:
        attacker.evaluate("url => { window.victim = window.open(url); }",
                          f"{listed}/embed-host.html?chat={urllib.parse.quote(chat_url, safe='')}")
    host = popup.value
    chat = host.frame_locator("iframe[title='Event chat']")
    expect(chat.get_by_role("status")).to_have_text(re.compile("Waiting for the event page"), timeout=UI_TIMEOUT_MS)
    attacker.evaluate("""token => {
        window.victim.frames[0].postMessage({type: 'chatstack:token', token}, '*');
        window.victim.frames[0].postMessage({type: 'chatstack:token-request'}, '*');
    }""", issuer.mint("embedded-eve", "Eve"))
    host.wait_for_timeout(1_000)
    # ignored: still waiting for its own host; never answered: nothing came back to the attacker
    expect(chat.get_by_role("status")).to_have_text(re.compile("Waiting for the event page"))
    assert attacker.evaluate("window.answers") == 0
    # the channel itself works: the listed host's token is taken
    hand_token(host, issuer.mint("embedded-ann", "Ann"))
    expect(chat.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
    assert attacker.evaluate("window.answers") == 0
    attacker.context.close()
