"""Fidelity beyond QuickJS: the same runtime library and resolvers under Node's ES-module loader.

`appsync_local/node_harness/harness.mjs` imports each rendered resolver file (written as .mjs
to a temp dir) with Node's real loader. Next to the files sits node_modules/@aws-appsync/utils,
a link to `appsync_local/node_harness/aws-appsync-utils`: a package whose `exports` map
`@aws-appsync/utils` and `@aws-appsync/utils/dynamodb` to re-export shims over the SAME
`runtime_js` files the QuickJS engine evaluates. Every case first runs in a fresh `JSEngine`
(fixed clock, sequential ids); Node then gets the same context, auth type, clock reading and
the ids QuickJS consumed, and must return the same result: status, value (the request object),
stash, appended errors, extensions, id sequence, and for `util.error`/`util.unauthorized`
the error payload (message, type, data, info). Native exceptions (a TypeError) must agree on
the error name; their messages are engine wording ("cannot read property" vs "Cannot read
properties"), so they are not compared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from appsync_local.engine import JSEngine
from components.chat_api import OidcAttendeeAuth, resolver_environment
from tests.appsync_local.conftest import START, FakeClock, SequentialIds, user
from tests.project import PROJECT

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "appsync_local" / "node_harness" / "harness.mjs"
SHIM_PACKAGE = ROOT / "appsync_local" / "node_harness" / "aws-appsync-utils"
PROBE = Path(__file__).with_name("library_probe.js")

ENV_A = resolver_environment("chat-test", 3600, None)
ENV_B = resolver_environment("chatstack-finals-chat", 0, None, message_review="deny")  # no TTL branch
ENV_BATCHED = resolver_environment("chat-test", 3600, None, per_message_rooms=("backstage",))
ON_SEND = {"type_name": "Subscription", "field": "onSendMessage"}
ALICE = user("alice")
USER_POOL = "User Pool Authorization"
IAM = "IAM Authorization"
OIDC = "Open ID Connect Authorization"
# An OIDC stack whose attendees moderate when their `roles` claim holds "moderator".
ENV_OIDC = resolver_environment("chat-test", 3600, OidcAttendeeAuth(
    issuer="https://events.example.com", name_claim="nickname", moderator_claim="roles", moderator_value="moderator"))
ATTENDEE = {"sub": "att-1", "issuer": "https://events.example.com",
            "claims": {"sub": "att-1", "nickname": "  Ann  ", "roles": ["viewer"]}}
OIDC_MODERATOR = {**ATTENDEE, "claims": {**ATTENDEE["claims"], "roles": ["viewer", "moderator"]}}
BACKEND = {"accountId": "123456789012", "userArn": "arn:aws:sts::123456789012:assumed-role/fanout/s1",
           "username": "AKIA", "sourceIp": ["127.0.0.1"], "cognitoIdentityPoolId": None}
SEQ = "0" * 39


def _info(type_name: str, field: str) -> dict[str, Any]:
    return {"fieldName": field, "parentTypeName": type_name, "variables": {}, "selectionSetList": [],
            "selectionSetGraphQL": ""}


def _ctx(args: dict[str, Any], *, type_name: str = "Mutation", field: str = "sendMessage", identity: Any = ALICE,
         stash: dict[str, Any] | None = None, env: dict[str, str] = ENV_A, **extra: Any) -> dict[str, Any]:
    return {"arguments": args, "identity": identity, "source": None, "stash": dict(stash or {}),
            "prev": {"result": extra.pop("prev", None)}, "info": _info(type_name, field),
            "request": {"headers": {"x-test": "1"}, "domainName": None}, "env": env, **extra}


def _query(args: dict[str, Any], field: str = "getMessages", **kw: Any) -> dict[str, Any]:
    return _ctx(args, type_name="Query", field=field, **kw)


VALIDATE = "functions/validateArgs.js"
PAGE = {"items": [{"messageId": "m1", "message": "hi"}], "nextToken": "dG9r", "scannedCount": 1}
DDB_ERROR = {"message": "boom", "type": "DynamoDB:ProvisionedThroughputExceededException"}
WRITTEN = {"pk": "ROOM#lobby", "sk": "MSG#1", "messageId": "1"}
STASHED = {"caller": {"id": "sub-alice", "name": "alice", "isModerator": False}, "message": "hello",
           "matchText": " hello "}
CANCELLED = {"keys": None, "cancellationReasons": [{"type": "None", "message": "null"},
                                                   {"type": "ConditionalCheckFailed", "message": "failed"}]}
BATCH = [{"sequence": "0" * 39 + "1", "messageId": "m1", "sender": "a", "message": "x", "createdAt": "t"},
         {"sequence": "0" * 39 + "2", "messageId": "m2", "sender": "b", "message": "y", "createdAt": "t"}]

MOD = user("mod", ["moderators"])
CALLER = {"id": "alice", "name": "alice", "isModerator": False}
MOD_CALLER = {"id": "mod", "name": "mod", "isModerator": True}
SENDING = {**STASHED, "caller": CALLER}
TABLE_A = ENV_A["TABLE_NAME"]
BUY_NOW = {**SENDING, "message": "Buy... NOW!", "matchText": " buy now "}  # as validateArgs folds it
SETTINGS_ROW = {"slowModeSeconds": 5, "blockedTerms": ["spoiler", "buy now"], "version": 3, "updatedAt": "t"}
MESSAGE_ROW = {"roomId": "lobby", "messageId": "01M", "sender": "alice", "message": "hi", "createdAt": "t",
               "replyCount": 0}
BAN_ROW = {"roomId": "lobby", "userId": "alice", "bannedBy": "mod", "createdAt": "t", "reason": "spam"}
MODERATION = {"caller": MOD_CALLER, "moderation": {
    "action": "banUser", "target": "alice", "reason": "spam", "details": {"durationSeconds": 60},
    "item": {"table": TABLE_A, "operation": "PutItem", "key": {"pk": {"S": "ROOM#lobby"}, "sk": {"S": "BAN#alice"}},
             "attributeValues": {"type": {"S": "BAN"}}},
    "conflict": {"message": "alice is not banned", "type": "NotFound"},
    "event": {"type": "USER_BANNED", "userId": "alice"}, "result": {"userId": "alice", "active": True}}}
EVENT = {"eventId": "01E", "type": "USER_BANNED", "userId": "alice", "createdAt": "t"}


def _batch(*rows: Any) -> dict[str, Any]:
    return {"data": {TABLE_A: list(rows)}, "unprocessedKeys": {TABLE_A: []}}


# id -> (file, env, handler, ctx, auth type). Covers every function and resolver in the manifest.
CASES: dict[str, tuple[str, dict[str, str], str, dict[str, Any], str | None]] = {
    # validateArgs: every rule, reached through each field it serves
    "validateArgs.request.getMessages": (VALIDATE, ENV_A, "request",
                                         _query({"roomId": "lobby", "limit": 20, "nextToken": "abc"}), USER_POOL),
    "validateArgs.request.default-limit": (VALIDATE, ENV_A, "request", _query({"roomId": "lobby"}), None),
    "validateArgs.request.bad-limit": (VALIDATE, ENV_A, "request", _query({"roomId": "lobby", "limit": 0}),
                                       USER_POOL),
    "validateArgs.request.bad-room": (VALIDATE, ENV_A, "request", _query({"roomId": "no spaces"}), USER_POOL),
    "validateArgs.request.getThread": (VALIDATE, ENV_A, "request",
                                       _query({"roomId": "lobby", "messageId": "01ABC", "limit": 5}, "getThread"),
                                       USER_POOL),
    "validateArgs.request.bad-id": (VALIDATE, ENV_A, "request",
                                    _query({"roomId": "lobby", "messageId": "x" * 65}, "getThread"), USER_POOL),
    "validateArgs.request.getMessagesBySender": (VALIDATE, ENV_A, "request",
                                                 _query({"sender": "alice", "limit": 100}, "getMessagesBySender"),
                                                 USER_POOL),
    "validateArgs.request.bad-limit-by-sender": (VALIDATE, ENV_A, "request",
                                                 _query({"sender": "alice", "limit": 101}, "getMessagesBySender"),
                                                 USER_POOL),
    "validateArgs.request.send": (VALIDATE, ENV_A, "request", _ctx({"roomId": "lobby", "message": "  hello  "}),
                                  USER_POOL),
    "validateArgs.request.reply": (VALIDATE, ENV_A, "request",
                                   _ctx({"roomId": "lobby", "messageId": "01M", "message": "re"},
                                        field="replyToMessage"), USER_POOL),
    # the caller, from each provider (ctx.stash.caller)
    "validateArgs.request.oidc-send": (VALIDATE, ENV_OIDC, "request",
                                       _ctx({"roomId": "lobby", "message": "hi"}, identity=ATTENDEE, env=ENV_OIDC),
                                       OIDC),
    "validateArgs.request.oidc-not-moderator": (VALIDATE, ENV_OIDC, "request",
                                                _query({"sender": "x"}, "getMessagesBySender", identity=ATTENDEE,
                                                       env=ENV_OIDC), OIDC),
    "validateArgs.request.oidc-moderator": (VALIDATE, ENV_OIDC, "request",
                                            _query({"sender": "x"}, "getMessagesBySender", identity=OIDC_MODERATOR,
                                                   env=ENV_OIDC), OIDC),
    "validateArgs.request.iam-by-sender": (VALIDATE, ENV_A, "request",
                                           _query({"sender": "x"}, "getMessagesBySender", identity=BACKEND), IAM),
    "validateArgs.request.cognito-moderator": (VALIDATE, ENV_A, "request",
                                               _query({"sender": "x"}, "getMessagesBySender",
                                                      identity=user("mod", ["moderators"])), USER_POOL),
    "validateArgs.request.bad-room-write": (VALIDATE, ENV_A, "request", _ctx({"roomId": "a/b", "message": "x"}),
                                            USER_POOL),
    "validateArgs.request.bad-message-id": (VALIDATE, ENV_A, "request",
                                            _ctx({"roomId": "r", "messageId": "", "message": "x"},
                                                 field="replyToMessage"), USER_POOL),
    "validateArgs.request.blank": (VALIDATE, ENV_A, "request", _ctx({"roomId": "lobby", "message": " \n\t "}),
                                   USER_POOL),
    "validateArgs.request.too-long": (VALIDATE, ENV_A, "request", _ctx({"roomId": "lobby", "message": "é" * 2001}),
                                      USER_POOL),
    "validateArgs.request.unauthorized": (VALIDATE, ENV_A, "request", _ctx({"roomId": "lobby", "message": "x"},
                                                                           identity=None), None),
    "validateArgs.request.type-error": (VALIDATE, ENV_A, "request", _ctx({"roomId": "lobby"}), USER_POOL),
    "validateArgs.request.unknown-field": (VALIDATE, ENV_A, "request",
                                           _ctx({"roomId": "lobby", "messages": BATCH}, field="publishBatch"), IAM),
    "validateArgs.response": (VALIDATE, ENV_A, "response",
                              _ctx({"roomId": "lobby", "message": "x"}, result=None, error=None), USER_POOL),
    # queryRoomMessages (getMessages)
    "queryRoomMessages.request": ("functions/queryRoomMessages.js", ENV_A, "request",
                                  _query({"roomId": "lobby", "limit": 20, "nextToken": "abc"}, stash={"limit": 20}),
                                  USER_POOL),
    "queryRoomMessages.request.first-page": ("functions/queryRoomMessages.js", ENV_A, "request",
                                             _query({"roomId": "lobby"}, stash={"limit": 50}), None),
    "queryRoomMessages.response": ("functions/queryRoomMessages.js", ENV_A, "response",
                                   _query({"roomId": "lobby"}, stash={"limit": 50}, result=PAGE, error=None),
                                   USER_POOL),
    "queryRoomMessages.response.error": ("functions/queryRoomMessages.js", ENV_A, "response",
                                         _query({"roomId": "lobby"}, stash={"limit": 50}, result=None,
                                                error=DDB_ERROR), USER_POOL),
    # queryThread (getThread)
    "queryThread.request": ("functions/queryThread.js", ENV_A, "request",
                            _query({"roomId": "lobby", "messageId": "01ABC", "limit": 5}, "getThread",
                                   stash={"limit": 5}), USER_POOL),
    "queryThread.response": ("functions/queryThread.js", ENV_A, "response",
                             _query({"roomId": "lobby", "messageId": "m"}, "getThread", stash={"limit": 50},
                                    result=PAGE, error=None), USER_POOL),
    "queryThread.response.error": ("functions/queryThread.js", ENV_A, "response",
                                   _query({"roomId": "lobby", "messageId": "m"}, "getThread", stash={"limit": 50},
                                          result=None, error=DDB_ERROR), USER_POOL),
    # queryMessagesBySender (getMessagesBySender)
    "queryMessagesBySender.request": ("functions/queryMessagesBySender.js", ENV_A, "request",
                                      _query({"sender": "alice", "limit": 100}, "getMessagesBySender",
                                             stash={"limit": 100}), USER_POOL),
    "queryMessagesBySender.response": ("functions/queryMessagesBySender.js", ENV_A, "response",
                                       _query({"sender": "alice"}, "getMessagesBySender", stash={"limit": 50},
                                              result=PAGE, error=None), USER_POOL),
    "queryMessagesBySender.response.error": ("functions/queryMessagesBySender.js", ENV_A, "response",
                                             _query({"sender": "alice"}, "getMessagesBySender", stash={"limit": 50},
                                                    result=None, error=DDB_ERROR), USER_POOL),
    # pipeline before/after (imports nothing: must not be the first module Node loads)
    "pipeline.request": ("pipeline.js", ENV_A, "request", _ctx({"roomId": "lobby", "message": "x"}), USER_POOL),
    "pipeline.response": ("pipeline.js", ENV_A, "response",
                          _ctx({"roomId": "lobby", "message": "x"}, prev=WRITTEN, stash=STASHED), USER_POOL),
    # putMessage (ids, clock, ctx.env rendered two ways)
    "putMessage.request": ("functions/putMessage.js", ENV_A, "request",
                           _ctx({"roomId": "lobby", "message": "x"}, stash=STASHED), USER_POOL),
    "putMessage.request.no-ttl-env": ("functions/putMessage.js", ENV_B, "request",
                                      _ctx({"roomId": "lobby", "message": "x"}, stash=STASHED, env=ENV_B), USER_POOL),
    "putMessage.response": ("functions/putMessage.js", ENV_A, "response",
                            _ctx({"roomId": "lobby"}, stash=STASHED, result=WRITTEN, error=None), USER_POOL),
    "putMessage.response.error": ("functions/putMessage.js", ENV_A, "response",
                                  _ctx({"roomId": "lobby"}, stash=STASHED, result=None,
                                       error={"message": "The conditional request failed",
                                              "type": "DynamoDB:ConditionalCheckFailedException"}), USER_POOL),
    # writeReply (transaction; table name from ctx.env)
    "writeReply.request": ("functions/writeReply.js", ENV_A, "request",
                           _ctx({"roomId": "lobby", "messageId": "01P", "message": "re"}, field="replyToMessage",
                                stash=STASHED), USER_POOL),
    "writeReply.request.other-env": ("functions/writeReply.js", ENV_B, "request",
                                     _ctx({"roomId": "lobby", "messageId": "01P", "message": "re"},
                                          field="replyToMessage", stash=STASHED, env=ENV_B), USER_POOL),
    "writeReply.response.not-found": ("functions/writeReply.js", ENV_A, "response",
                                      _ctx({"roomId": "lobby", "messageId": "01P"}, field="replyToMessage",
                                           result=CANCELLED, error={"message": "Transaction cancelled",
                                                                    "type": "DynamoDB:TransactionCanceledException"}),
                                      USER_POOL),
    "writeReply.response.other-error": ("functions/writeReply.js", ENV_A, "response",
                                        _ctx({"roomId": "lobby", "messageId": "01P"}, field="replyToMessage",
                                             result=None, error=DDB_ERROR), USER_POOL),
    "writeReply.response": ("functions/writeReply.js", ENV_A, "response",
                            _ctx({"roomId": "lobby", "messageId": "01P"}, field="replyToMessage",
                                 stash={"reply": {"replyId": "r1"}}, result={"keys": []}, error=None), USER_POOL),
    # moderation: the send-path checks (ban, blocked terms, slow mode) and the review hook
    "validateArgs.request.moderator": (VALIDATE, ENV_A, "request",
                                       _ctx({"roomId": "lobby", "userId": "alice", "durationSeconds": 60,
                                             "reason": " spam "}, field="banUser", identity=MOD), USER_POOL),
    "validateArgs.request.not-moderator": (VALIDATE, ENV_A, "request",
                                           _ctx({"roomId": "lobby", "messageId": "01M"}, field="deleteMessage"),
                                           USER_POOL),
    "validateArgs.request.settings": (VALIDATE, ENV_A, "request",
                                      _ctx({"roomId": "lobby", "blockedTerms": [" Spoiler ", "spoiler"],
                                            "pinnedMessageId": None}, field="updateRoomSettings", identity=MOD),
                                      USER_POOL),
    "checkSendAllowed.request": ("functions/checkSendAllowed.js", ENV_A, "request",
                                 _ctx({"roomId": "lobby", "message": "x"}, stash=SENDING), USER_POOL),
    "checkSendAllowed.response.slow-mode": ("functions/checkSendAllowed.js", ENV_A, "response",
                                            _ctx({"roomId": "lobby"}, stash=SENDING, error=None,
                                                 result=_batch(SETTINGS_ROW, None, None)), USER_POOL),
    "checkSendAllowed.response.too-soon": ("functions/checkSendAllowed.js", ENV_A, "response",
                                           _ctx({"roomId": "lobby"}, stash=SENDING, error=None,
                                                result=_batch(SETTINGS_ROW, None,
                                                              {"lastSentAt": int(START * 1000) - 2000})), USER_POOL),
    "checkSendAllowed.response.blocked": ("functions/checkSendAllowed.js", ENV_A, "response",
                                          _ctx({"roomId": "lobby"}, stash=BUY_NOW,
                                               error=None, result=_batch(SETTINGS_ROW, None, None)), USER_POOL),
    "checkSendAllowed.response.banned": ("functions/checkSendAllowed.js", ENV_A, "response",
                                         _ctx({"roomId": "lobby"}, stash=SENDING, error=None,
                                              result=_batch(None, BAN_ROW, None)), USER_POOL),
    "reviewMessage.request.off": ("functions/reviewMessage.js", ENV_A, "request",
                                  _ctx({"roomId": "lobby"}, stash=SENDING, prev=None), USER_POOL),
    "reviewMessage.request": ("functions/reviewMessage.js", ENV_B, "request",
                              _ctx({"roomId": "lobby"}, stash=SENDING, env=ENV_B), USER_POOL),
    "reviewMessage.response.rewrite": ("functions/reviewMessage.js", ENV_B, "response",
                                       _ctx({"roomId": "lobby"}, stash=SENDING, env=ENV_B, error=None,
                                            result={"result": "ALLOW", "message": "h*llo"}), USER_POOL),
    "reviewMessage.response.fallback": ("functions/reviewMessage.js", ENV_B, "response",
                                        _ctx({"roomId": "lobby"}, stash=SENDING, env=ENV_B, result=None,
                                             error={"message": "timed out", "type": "Lambda:Timeout"}), USER_POOL),
    # moderation actions: prepare*, the shared transactional write, the room-event publish
    "prepareDelete.request": ("functions/prepareDelete.js", ENV_A, "request",
                              _ctx({"roomId": "lobby", "messageId": "01M"}, field="deleteMessage",
                                   stash={"caller": MOD_CALLER}), USER_POOL),
    "prepareDelete.response": ("functions/prepareDelete.js", ENV_A, "response",
                               _ctx({"roomId": "lobby", "messageId": "01M"}, field="deleteMessage",
                                    stash={"caller": MOD_CALLER}, result=MESSAGE_ROW, error=None), USER_POOL),
    "prepareBan.request": ("functions/prepareBan.js", ENV_A, "request",
                           _ctx({"roomId": "lobby", "userId": "alice"}, field="banUser", stash={"caller": MOD_CALLER}),
                           USER_POOL),
    "prepareBan.response": ("functions/prepareBan.js", ENV_A, "response",
                            _ctx({"roomId": "lobby", "userId": "alice", "durationSeconds": 60}, field="banUser",
                                 stash={"caller": MOD_CALLER, "reason": "spam"}, result=None), USER_POOL),
    "prepareUnban.request": ("functions/prepareUnban.js", ENV_A, "request",
                             _ctx({"roomId": "lobby", "userId": "alice"}, field="unbanUser",
                                  stash={"caller": MOD_CALLER}), USER_POOL),
    "prepareUnban.response.not-banned": ("functions/prepareUnban.js", ENV_A, "response",
                                         _ctx({"roomId": "lobby", "userId": "alice"}, field="unbanUser",
                                              stash={"caller": MOD_CALLER}, result=None, error=None), USER_POOL),
    "prepareSettings.request": ("functions/prepareSettings.js", ENV_A, "request",
                                _ctx({"roomId": "lobby"}, field="updateRoomSettings",
                                     stash={"caller": MOD_CALLER, "changes": {"pinnedMessageId": "01M"}}), USER_POOL),
    "prepareSettings.response": ("functions/prepareSettings.js", ENV_A, "response",
                                 _ctx({"roomId": "lobby"}, field="updateRoomSettings",
                                      stash={"caller": MOD_CALLER, "changes": {"pinnedMessageId": "01M",
                                                                               "slowModeSeconds": 0}},
                                      result=_batch(SETTINGS_ROW, MESSAGE_ROW), error=None), USER_POOL),
    "writeModeration.request": ("functions/writeModeration.js", ENV_A, "request",
                                _ctx({"roomId": "lobby", "userId": "alice"}, field="banUser", stash=MODERATION),
                                USER_POOL),
    "writeModeration.response.conflict": ("functions/writeModeration.js", ENV_A, "response",
                                          _ctx({"roomId": "lobby", "userId": "alice"}, field="banUser",
                                               stash=MODERATION, result={"keys": None, "cancellationReasons": [
                                                   {"type": "ConditionalCheckFailed", "message": "failed"},
                                                   {"type": "None", "message": "null"}]},
                                               error={"message": "Transaction cancelled",
                                                      "type": "DynamoDB:TransactionCanceledException"}), USER_POOL),
    "publishRoomEvent.request": ("functions/publishRoomEvent.js", ENV_A, "request",
                                 _ctx({"roomId": "lobby"}, field="banUser", stash={"roomEvent": EVENT}), USER_POOL),
    "publishRoomEvent.response.failed": ("functions/publishRoomEvent.js", ENV_A, "response",
                                         _ctx({"roomId": "lobby"}, field="banUser", prev={"userId": "alice"},
                                              result={"statusCode": 401, "headers": {}, "body": '{"errors": ['
                                                      '{"errorType": "UnauthorizedException", "message": "no"}]}'},
                                              error=None), USER_POOL),
    "echoRoomEvent.request": ("functions/echoRoomEvent.js", ENV_A, "request",
                              _ctx({"roomId": "lobby", "event": {**EVENT, "settings": {"slowModeSeconds": 1}}},
                                   field="publishRoomEvent", identity=None), IAM),
    "echoRoomEvent.response": ("functions/echoRoomEvent.js", ENV_A, "response",
                               _ctx({"roomId": "lobby"}, field="publishRoomEvent", identity=None,
                                    result={**EVENT, "roomId": "lobby", "settings": {"slowModeSeconds": 1}}), IAM),
    "readRoomSettings.request": ("functions/readRoomSettings.js", ENV_A, "request",
                                 _query({"roomId": "lobby"}, "getRoomSettings"), USER_POOL),
    "readRoomSettings.response.defaults": ("functions/readRoomSettings.js", ENV_A, "response",
                                           _query({"roomId": "lobby"}, "getRoomSettings", result=None, error=None),
                                           USER_POOL),
    "queryModerationLog.request": ("functions/queryModerationLog.js", ENV_A, "request",
                                   _query({"roomId": "lobby"}, "getModerationLog", stash={"limit": 10}), USER_POOL),
    "queryModerationLog.response": ("functions/queryModerationLog.js", ENV_A, "response",
                                    _query({"roomId": "lobby"}, "getModerationLog", result=PAGE, error=None),
                                    USER_POOL),
    "checkSubscriber.request": ("functions/checkSubscriber.js", ENV_A, "request",
                                _ctx({"roomId": "lobby"}, type_name="Subscription", field="onSendMessage",
                                     stash={"caller": CALLER}), USER_POOL),
    "checkSubscriber.response.banned": ("functions/checkSubscriber.js", ENV_A, "response",
                                        _ctx({"roomId": "lobby"}, type_name="Subscription", field="onSendMessage",
                                             stash={"caller": CALLER}, result=BAN_ROW, error=None), USER_POOL),
    "subscription.request": ("subscription.js", ENV_A, "request",
                             _ctx({"roomId": "lobby"}, type_name="Subscription", field="onSendMessage"), USER_POOL),
    "subscription.response": ("subscription.js", ENV_A, "response",
                              _ctx({"roomId": "lobby"}, type_name="Subscription", field="onSendMessage",
                                   stash={"caller": CALLER}), USER_POOL),
    "pipeline.response.invalidate": ("pipeline.js", ENV_A, "response",
                                     _ctx({"roomId": "lobby", "userId": "alice"}, field="banUser", prev=WRITTEN,
                                          stash={"invalidate": [{"subscriptionField": "onSendMessage",
                                                                 "payload": {"roomId": "lobby", "userId": "alice"}}]}),
                                     USER_POOL),
    # readFanoutCursor
    "readFanoutCursor.request": ("functions/readFanoutCursor.js", ENV_A, "request",
                                 _ctx({"roomId": "lobby", "messages": BATCH}, field="publishBatch"), IAM),
    "readFanoutCursor.response.none": ("functions/readFanoutCursor.js", ENV_A, "response",
                                       _ctx({"roomId": "lobby"}, field="publishBatch", result=None, error=None),
                                       IAM),
    "readFanoutCursor.response.cursor": ("functions/readFanoutCursor.js", ENV_A, "response",
                                         _ctx({"roomId": "lobby"}, field="publishBatch",
                                              result={"lastSequence": SEQ + "1"}, error=None), IAM),
    # allowRoomSubscription (onSendMessage): every room, or only the listed ones in batched stacks
    "allowRoomSubscription.request.every-room": ("functions/allowRoomSubscription.js", ENV_A, "request",
                                                 _ctx({"roomId": "stage"}, **ON_SEND), USER_POOL),
    "allowRoomSubscription.request.batched-refused": ("functions/allowRoomSubscription.js", ENV_BATCHED, "request",
                                                      _ctx({"roomId": "stage"}, **ON_SEND,
                                                           env=ENV_BATCHED), USER_POOL),
    "allowRoomSubscription.request.batched-listed": ("functions/allowRoomSubscription.js", ENV_BATCHED, "request",
                                                     _ctx({"roomId": "backstage"}, **ON_SEND,
                                                          env=ENV_BATCHED), USER_POOL),
    "allowRoomSubscription.response": ("functions/allowRoomSubscription.js", ENV_A, "response",
                                       _ctx({"roomId": "stage"}, **ON_SEND, result=None), USER_POOL),
    # advanceFanoutCursor
    "advanceFanoutCursor.request.out-of-order": ("functions/advanceFanoutCursor.js", ENV_A, "request",
                                                 _ctx({"roomId": "lobby", "messages": list(reversed(BATCH))},
                                                      field="publishBatch", stash={"cursor": ""}), IAM),
    "advanceFanoutCursor.request.first": ("functions/advanceFanoutCursor.js", ENV_A, "request",
                                          _ctx({"roomId": "lobby", "messages": BATCH}, field="publishBatch",
                                               stash={"cursor": ""}), IAM),
    "advanceFanoutCursor.request.after-cursor": ("functions/advanceFanoutCursor.js", ENV_A, "request",
                                                 _ctx({"roomId": "lobby", "messages": BATCH}, field="publishBatch",
                                                      stash={"cursor": SEQ + "1"}), IAM),
    "advanceFanoutCursor.request.duplicate": ("functions/advanceFanoutCursor.js", ENV_A, "request",
                                              _ctx({"roomId": "lobby", "messages": BATCH}, field="publishBatch",
                                                   stash={"cursor": SEQ + "9"}), IAM),
    "advanceFanoutCursor.request.bad-sequence": ("functions/advanceFanoutCursor.js", ENV_A, "request",
                                                 _ctx({"roomId": "lobby", "messages": [{**BATCH[0], "sequence": "7"}]},
                                                      field="publishBatch", stash={"cursor": ""}),
                                                 IAM),
    "advanceFanoutCursor.response": ("functions/advanceFanoutCursor.js", ENV_A, "response",
                                     _ctx({"roomId": "lobby"}, field="publishBatch",
                                          stash={"fresh": BATCH, "last": BATCH[-1]["sequence"]}, result={},
                                          error=None), IAM),
    "advanceFanoutCursor.response.concurrent": ("functions/advanceFanoutCursor.js", ENV_A, "response",
                                                _ctx({"roomId": "lobby"}, field="publishBatch", result=None,
                                                     error={"message": "failed",
                                                            "type": "DynamoDB:ConditionalCheckFailedException"}),
                                                IAM),
    # the runtime library at large
    "library.request": ("<probe>", ENV_A, "request", _ctx({"roomId": "lobby"}, field="onSendMessage"), USER_POOL),
    "library.request.no-auth": ("<probe>", ENV_A, "request", _ctx({"roomId": "r2"}, identity=None), None),
    "library.response.early": ("<probe>", ENV_A, "response", _ctx({"roomId": "early"}, stash=STASHED), USER_POOL),
    "library.response.unauthorized": ("<probe>", ENV_A, "response",
                                      _ctx({"roomId": "unauthorized"}, type_name="Query", field="secret"), USER_POOL),
    "library.response.invalidation-limit": ("<probe>", ENV_A, "response", _ctx({"roomId": "limit"}), USER_POOL),
    "library.response": ("<probe>", ENV_A, "response", _ctx({"roomId": "x"}, prev=[1, {"a": None}]), USER_POOL),
}


def _normalise(out: dict[str, Any]) -> dict[str, Any]:
    """What must agree between engines (see the module docstring)."""
    keep = {k: out.get(k) for k in ("status", "value", "skipTo", "stash", "errors", "extensions", "idSeq")}
    error = out.get("error")
    if out.get("status") == "exception":
        keep["error"] = {"name": error["name"]}
    else:
        keep["error"] = error
    return keep


def _code(file: str, env: dict[str, str]) -> str:
    if file == "<probe>":
        return PROBE.read_text(encoding="utf-8")
    return PROJECT.manifest().render(file, env)


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node (v20) must be on PATH for the fidelity test"
    work = tmp_path_factory.mktemp("node-fidelity")
    scope = work / "node_modules" / "@aws-appsync"
    scope.mkdir(parents=True)
    os.symlink(SHIM_PACKAGE, scope / "utils", target_is_directory=True)
    (work / "probe.mjs").write_text(
        "import * as utils from '@aws-appsync/utils';\n"
        "import * as dynamodb from '@aws-appsync/utils/dynamodb';\n"
        "export default { utils: Object.keys(utils).sort(), dynamodb: Object.keys(dynamodb).sort(),\n"
        "  runtimeDynamodb: Object.keys(globalThis.__appsync.modules['@aws-appsync/utils/dynamodb']).sort(),\n"
        "  utilError: typeof utils.util.error };\n",
        encoding="utf-8",
    )
    quickjs: dict[str, dict[str, Any]] = {}
    node_cases = []
    written: dict[tuple[str, str], Path] = {}
    for case_id, (file, env, handler, ctx, auth_type) in CASES.items():
        code = _code(file, env)
        key = (file, json.dumps(env, sort_keys=True))
        if key not in written:
            target = work / "code" / f"{len(written):02d}-{Path(file.strip('<>')).stem}.mjs"
            target.parent.mkdir(exist_ok=True)
            target.write_text(code, encoding="utf-8")
            written[key] = target
        ids = SequentialIds()
        engine = JSEngine(clock=FakeClock(step=0), id_factory=ids)
        quickjs[case_id] = engine.call(engine.load(code, file), handler, json.loads(json.dumps(ctx)),
                                       auth_type=auth_type)
        supplied: dict[str, list[str]] = {"uuid": [], "ulid": [], "ksuid": []}
        for kind, value in ids.issued:
            supplied[kind].append(value)
        node_cases.append({"module": str(written[key]), "handler": handler, "ctx": ctx, "authType": auth_type,
                           "nowMs": START * 1000.0, "ids": supplied})
    completed = subprocess.run(
        [node, str(HARNESS)],
        input=json.dumps({"cases": node_cases, "probe": str(work / "probe.mjs")}),
        capture_output=True, text=True, timeout=60, cwd=work, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert len(report["results"]) == len(CASES)
    return {"quickjs": quickjs, "node": dict(zip(CASES, report["results"], strict=True)), "probe": report["probe"],
            "version": report["node"]}


def test_node_resolves_the_builtin_modules_to_the_local_runtime_library(both_engines):
    probe = both_engines["probe"]
    assert both_engines["version"].startswith("v")
    assert probe["utils"] == ["extensions", "runtime", "util"]
    assert probe["utilError"] == "function"  # not the types-only npm package, whose util is {}
    # the shim re-exports every helper the runtime library defines, and nothing else
    assert probe["dynamodb"] == probe["runtimeDynamodb"]


def test_every_manifest_function_and_resolver_is_compared():
    manifest = PROJECT.manifest()
    compared = {file for file, *_ in CASES.values()}
    assert {f.file for f in manifest.functions} | {r.file for r in manifest.resolvers} <= compared
    handlers = {(file, handler) for file, _, handler, _, _ in CASES.values()}
    for file in compared - {"<probe>"}:
        assert {(file, "request"), (file, "response")} <= handlers, file


@pytest.mark.parametrize("case_id", list(CASES))
def test_quickjs_and_node_agree(both_engines, case_id):
    quickjs = _normalise(both_engines["quickjs"][case_id])
    node = _normalise(both_engines["node"][case_id])
    assert quickjs == node


def test_the_cases_cover_ok_error_exception_and_early_return(both_engines):
    statuses = {out["status"] for out in both_engines["quickjs"].values()}
    assert statuses == {"ok", "error", "exception", "earlyReturn"}
    # ids and the clock were injected, and both engines saw them
    put = both_engines["node"]["putMessage.request"]
    assert put["idSeq"] == ["ulid"] and put["value"]["attributeValues"]["expiresAt"] == {"N": int(START) + 3600}
    assert "expiresAt" not in both_engines["node"]["putMessage.request.no-ttl-env"]["value"]["attributeValues"]
    reply = both_engines["node"]["writeReply.request.other-env"]["value"]
    assert {item["table"] for item in reply["transactItems"]} == {ENV_B["TABLE_NAME"]}


def test_the_caller_is_derived_once_for_each_provider(both_engines):
    """validateArgs' ctx.stash.caller, as both engines computed it."""
    out = both_engines["node"]
    assert out["validateArgs.request.oidc-send"]["stash"]["caller"] == {"id": "att-1", "name": "Ann",
                                                                       "isModerator": False}
    assert out["validateArgs.request.oidc-moderator"]["stash"]["caller"]["isModerator"] is True
    assert out["validateArgs.request.oidc-not-moderator"]["status"] == "error"
    assert out["validateArgs.request.cognito-moderator"]["stash"]["caller"] == {"id": "sub-mod", "name": "mod",
                                                                               "isModerator": True}
    assert out["validateArgs.request.iam-by-sender"]["stash"]["caller"] == {
        "id": BACKEND["userArn"], "name": "s1", "isModerator": True}
    assert out["validateArgs.request.send"]["stash"]["caller"] == {"id": "sub-alice", "name": "alice",
                                                                  "isModerator": False}
