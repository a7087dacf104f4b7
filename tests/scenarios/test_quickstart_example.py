"""The README's first chat by API (examples/quickstart.py) works against the served dev
stack. (Here rather than under tests/examples: it needs this package's served stack, and
moto's backends are process-wide, so one dev stack per run.)"""

from examples.quickstart import session
from tests.support import run_async


def test_quickstart_session_signs_up_subscribes_sends_and_reads(served):
    result = run_async(session(served.outputs, "quickstart-user"))
    sent = result["sent"]["sendMessage"]
    assert sent["senderName"] == "quickstart-user" and sent["message"] == "hello"  # trimmed by the resolver
    assert sent["sender"] != "quickstart-user"  # the stable id: the token's sub
    assert result["received"] == {"onSendMessage": {"senderName": "quickstart-user", "message": "hello",
                                                    "createdAt": sent["createdAt"]}}
    assert {"senderName": "quickstart-user", "message": "hello", "createdAt": sent["createdAt"]} in (
        result["history"]["getMessages"]["items"])
