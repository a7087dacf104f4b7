"""The chat table's key design: the one place that names keys, indexes and row shapes.

MESSAGE row  pk = ROOM#<roomId>                  sk = MSG#<messageId>
THREAD row   pk = ROOM#<roomId>#MSG#<messageId>  sk = REPLY#<replyId>
bySender GSI gsi1pk = SENDER#<sender>            gsi1sk = MSG#<messageId> (MESSAGE rows only)
FANOUT row   pk = ROOM#<roomId>                  sk = FANOUT  (batched mode: last published sequence)

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

# Every access pattern and the key it uses (README "Key design" is generated from this).
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
