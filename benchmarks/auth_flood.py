"""Another attendee's sendMessage latency while one client floods the local Cognito front with
JWKS requests (unauthenticated) or refresh-token sign-ins, this checkout next to a baseline
revision, in one run. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/auth_flood.py [--baseline REV] [--sends 150]

Issue 30 measured everyone's sendMessage 10x slower under either flood: every token signed and
every JWKS served re-parsed the stack's RSA key under moto's request lock.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served_stack import ROOT, ServedStack, fresh_state_args, percentile, revision_tree  # noqa: E402
from chatstack.local.session import LOCAL_PASSWORD, cognito_client, sign_up_and_in  # noqa: E402

SEND = ("mutation S($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) "
        "{ messageId } }")


def sends(outputs: dict, token: str, count: int) -> list[float]:
    import json

    latencies = []
    for n in range(count):
        body = json.dumps({"query": SEND, "variables": {"roomId": "flood", "message": f"m{n}"}}).encode()
        request = urllib.request.Request(outputs["graphqlUrl"], data=body, method="POST",
                                         headers={"Authorization": token, "Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def flood(kind: str, outputs: dict, stop: threading.Event) -> None:
    if kind == "jwks":
        url = f"{outputs['cognitoEndpoint'].rstrip('/')}/{outputs['userPoolId']}/.well-known/jwks.json"
        while not stop.is_set():
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
    else:
        cognito = cognito_client(outputs)
        refresh = cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": "flooder", "PASSWORD": LOCAL_PASSWORD},
                                        )["AuthenticationResult"]["RefreshToken"]
        while not stop.is_set():
            cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                  AuthParameters={"REFRESH_TOKEN": refresh})


def measure(outputs: dict, count: int) -> dict[str, list[float]]:
    victim = sign_up_and_in(outputs, "victim")["id"]
    sign_up_and_in(outputs, "flooder")
    results = {"idle": sends(outputs, victim, count)}
    for kind in ("jwks", "refresh"):
        stop = threading.Event()
        attackers = [threading.Thread(target=flood, args=(kind, outputs, stop), daemon=True) for _ in range(2)]
        for thread in attackers:
            thread.start()
        time.sleep(0.5)
        results[kind] = sends(outputs, victim, count)
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="c21ad80")
    parser.add_argument("--sends", type=int, default=150)
    args = parser.parse_args()
    rows = {}
    trees = ((f"baseline {args.baseline}", revision_tree(args.baseline)), ("current checkout", None))
    for label, tree in trees:
        stack = ServedStack(tree or ROOT, label=label, args=fresh_state_args())
        try:
            rows[label] = measure(stack.start(), args.sends)
        finally:
            stack.stop()
    print(f"victim sendMessage latency, {args.sends} sends each, while 2 clients flood local Cognito")
    print(f"  {'':<24}{'idle p50/p99 ms':>18}{'JWKS flood p50/p99':>22}{'refresh flood p50/p99':>24}")
    for label, results in rows.items():
        cells = [f"{percentile(results[k], 0.5):.1f}/{percentile(results[k], 0.99):.1f}" for k in
                 ("idle", "jwks", "refresh")]
        print(f"  {label:<24}{cells[0]:>18}{cells[1]:>22}{cells[2]:>24}")
    for label, results in rows.items():
        idle = percentile(results["idle"], 0.99)
        print(f"  {label}: p99 under flood / idle p99 = JWKS {percentile(results['jwks'], 0.99) / idle:.1f}x, "
              f"refresh {percentile(results['refresh'], 0.99) / idle:.1f}x")


if __name__ == "__main__":
    main()
