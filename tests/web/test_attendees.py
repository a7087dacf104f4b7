"""Attendees of an oidc stack in a real browser: they join through the event platform's sign-in
(the local issuer's login page: Authorization Code with PKCE), staff through the stack's
Cognito pool behind "Staff sign-in". Found by accessible name, as an outside test would."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.web.test_browser import UI_TIMEOUT_MS, ServedStack, _serve, expect, room

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


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


def test_staff_sign_in_on_an_oidc_stack_is_the_cognito_pool_without_sign_up(browser, oidc_stack):
    staff = oidc_stack.user("staffmod", groups=("moderators",))
    page = browser.new_context().new_page()
    page.goto(oidc_stack.url(room("staff")))
    page.get_by_role("link", name="Staff sign-in").click()
    expect(page.get_by_role("textbox", name="Username")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("tab", name="Create Account")).to_have_count(0)  # staff are created by admins
    from chatstack.local.session import LOCAL_PASSWORD

    page.get_by_role("textbox", name="Username").fill(staff)
    page.get_by_label("Password", exact=True).fill(LOCAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text("Live", timeout=UI_TIMEOUT_MS)
    page.context.close()
