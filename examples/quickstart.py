"""A first session against `make local`: sign up, subscribe, send, read the history.

    make local                                   # terminal 1
    .venv/bin/python examples/quickstart.py      # terminal 2 (optionally: a username)

The same calls work against a deployed stack's outputs, with SRP sign-in instead of the
password flow the dev stack allows.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import boto3
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncJWTAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

OUTPUTS = Path(".chatstack/dev/outputs.json")
PASSWORD = "Chat-password-1"

# sender is the stable id (the token's sub); senderName is what a chat shows.
SUBSCRIBE = gql('subscription { onSendMessage(roomId: "lobby") { senderName message createdAt } }')
# Select roomId: AppSync filters subscriptions on the fields the *mutation* selected
# (a subscriber to onSendMessage(roomId:) never hears a sendMessage that omits roomId).
SEND = gql('mutation { sendMessage(roomId: "lobby", message: " hello ") '
           '{ roomId messageId sender senderName message createdAt } }')
HISTORY = gql('{ getMessages(roomId: "lobby", limit: 10) { items { senderName message createdAt } nextToken } }')


def sign_up_and_in(outputs: dict, username: str) -> str:
    # Confirming a user is an admin action: only the stack's own localAdmin credential may.
    admin = outputs["localAdmin"]
    cognito = boto3.client("cognito-idp", endpoint_url=outputs["cognitoEndpoint"], region_name=outputs["region"],
                           aws_access_key_id=admin["accessKeyId"], aws_secret_access_key=admin["secretAccessKey"])
    try:
        cognito.sign_up(ClientId=outputs["userPoolClientId"], Username=username, Password=PASSWORD)
        cognito.admin_confirm_sign_up(UserPoolId=outputs["userPoolId"], Username=username)
    except cognito.exceptions.UsernameExistsException:
        pass  # `make local` keeps users across restarts: sign in again
    result = cognito.initiate_auth(ClientId=outputs["userPoolClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
    return result["AuthenticationResult"]["IdToken"]


async def session(outputs: dict, username: str) -> dict:
    token = sign_up_and_in(outputs, username)
    host = outputs["graphqlUrl"].split("/")[2]
    live = AppSyncWebsocketsTransport(url=outputs["realtimeUrl"], auth=AppSyncJWTAuthentication(host=host, jwt=token))
    http = AIOHTTPTransport(url=outputs["graphqlUrl"], headers={"Authorization": token})
    async with Client(transport=live) as subscriber, Client(transport=http) as client:
        events = subscriber.subscribe(SUBSCRIBE)
        received = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.5)  # gql acknowledges the subscription asynchronously
        sent = await client.execute(SEND)
        try:
            heard = await asyncio.wait_for(received, 5)
        finally:
            # Stop the subscription before the client closes: gql's close otherwise waits its
            # close timeout (10 s) for a generator nobody resumes.
            await events.aclose()
        return {"sent": sent, "received": heard, "history": await client.execute(HISTORY)}


def main() -> None:
    username = sys.argv[1] if len(sys.argv) > 1 else "alice"
    result = asyncio.run(session(json.loads(OUTPUTS.read_text()), username))
    for key, value in result.items():
        print(f"{key:>9}: {value}")


if __name__ == "__main__":
    main()
