"""The chat table's key design: the one place that names keys, indexes and row shapes.

MESSAGE row  pk = ROOM#<roomId>                  sk = MSG#<messageId>
THREAD row   pk = ROOM#<roomId>#MSG#<messageId>  sk = REPLY#<replyId>
bySender GSI gsi1pk = SENDER#<sender>            gsi1sk = MSG#<messageId> (MESSAGE rows only)
FANOUT row   pk = ROOM#<roomId>                  sk = FANOUT  (batched mode: last published sequence)
SETTINGS row pk = ROOM#<roomId>                  sk = SETTINGS (slow mode, blocked terms, pinned message)
BAN row      pk = ROOM#<roomId>#USER#<userId>    sk = BAN (expiresAt = TTL for timeouts; off the room's
             partition: every join reads it, so 250,000 joins spread over 250,000 partitions)
SLOWMODE row pk = ROOM#<roomId>#USER#<userId>    sk = SLOWMODE (lastSentAt; own partition per user)
AUDIT row    pk = AUDIT#<roomId>                 sk = EVENT#<eventId> (moderation log)

Ids are ULIDs, so sort keys order rows by time. No Pulumi imports: the local runtime
creates its table from these same definitions.
"""

from __future__ import annotations

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expiresAt"
BY_SENDER_INDEX = "bySender"

ATTRIBUTES: dict[str, str] = {"pk": "S", "sk": "S", "gsi1pk": "S", "gsi1sk": "S"}

GLOBAL_SECONDARY_INDEXES: tuple[dict, ...] = (
    {"name": BY_SENDER_INDEX, "partition_key": "gsi1pk", "sort_key": "gsi1sk", "projection": "ALL"},
)

# Every access pattern and the key it uses (docs/architecture.md "Key design" lists the same).
ACCESS_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("Send a message", "PutItem, condition attribute_not_exists(pk)", "pk=ROOM#<roomId>, sk=MSG#<messageId>"),
    ("Room history, newest first (getMessages)", "Query, ScanIndexForward=false",
     "pk=ROOM#<roomId>, begins_with(sk, MSG#)"),
    ("Reply to a message (replyToMessage)", "TransactWriteItems: Put THREAD + Update parent",
     "pk=ROOM#<roomId>#MSG#<messageId>, sk=REPLY#<replyId>; parent pk=ROOM#<roomId>, sk=MSG#<messageId>"),
    ("A thread, oldest first (getThread)", "Query, ScanIndexForward=true",
     "pk=ROOM#<roomId>#MSG#<messageId>, begins_with(sk, REPLY#)"),
    ("Batched fan-out cursor (publishBatch)", "GetItem (consistent) + UpdateItem, condition lastSequence = :cursor",
     "pk=ROOM#<roomId>, sk=FANOUT"),
    ("A sender's messages, moderators (getMessagesBySender)", "Query on GSI bySender, newest first",
     "gsi1pk=SENDER#<sender>, gsi1sk=MSG#<messageId>"),
    ("May this user post now? (every sendMessage/replyToMessage)", "BatchGetItem (consistent), 3 keys",
     "pk=ROOM#<roomId>, sk=SETTINGS; pk=ROOM#<roomId>#USER#<userId>, sk=BAN and sk=SLOWMODE"),
    ("Slow mode: record a message's time", "in the message's TransactWriteItems, condition lastSentAt <= now - N s",
     "pk=ROOM#<roomId>#USER#<userId>, sk=SLOWMODE"),
    ("Delete a message (deleteMessage)", "GetItem + TransactWriteItems: Update (tombstone) + Put AUDIT",
     "pk=ROOM#<roomId>, sk=MSG#<messageId>"),
    ("Ban / unban (banUser, unbanUser)", "TransactWriteItems: Put/Delete BAN + Put AUDIT",
     "pk=ROOM#<roomId>#USER#<userId>, sk=BAN"),
    ("Room settings (updateRoomSettings, getRoomSettings)",
     "BatchGetItem + TransactWriteItems: Put SETTINGS (condition version) + Put AUDIT; GetItem",
     "pk=ROOM#<roomId>, sk=SETTINGS"),
    ("Moderation log, newest first (getModerationLog)", "Query, ScanIndexForward=false",
     "pk=AUDIT#<roomId>, begins_with(sk, EVENT#)"),
    ("Subscribe to a room (ban check)", "GetItem (consistent)", "pk=ROOM#<roomId>#USER#<userId>, sk=BAN"),
)


def boto3_table_definition(table_name: str) -> dict:
    """CreateTable arguments (on-demand) for the same design, e.g. for moto."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in ATTRIBUTES.items()],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": gsi["name"],
                "KeySchema": [
                    {"AttributeName": gsi["partition_key"], "KeyType": "HASH"},
                    {"AttributeName": gsi["sort_key"], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": gsi["projection"]},
            }
            for gsi in GLOBAL_SECONDARY_INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
