// deleteMessage, after validateArgs: read the message (consistent), then describe the
// tombstone write for writeModeration: the text and the bySender index keys are removed
// (so no listing shows it), who and when are kept. Deleting twice is NotFound.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}`, sk: `MSG#${ctx.args.messageId}` }),
    consistentRead: true,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const { roomId, messageId } = ctx.args;
  const missing = `message ${messageId} does not exist in room ${roomId} or is already deleted`;
  if (!ctx.result || ctx.result.deletedAt) {
    util.error(missing, 'NotFound');
  }
  const deletedAt = util.time.nowISO8601();
  const deletedBy = ctx.stash.caller.id;
  ctx.stash.moderation = {
    action: 'deleteMessage',
    target: messageId,
    reason: null,
    details: { sender: ctx.result.sender },
    item: {
      table: ctx.env.TABLE_NAME,
      operation: 'UpdateItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: `MSG#${messageId}` }),
      update: {
        expression: 'SET deletedAt = :at, deletedBy = :by REMOVE message, gsi1pk, gsi1sk',
        expressionValues: util.dynamodb.toMapValues({ ':at': deletedAt, ':by': deletedBy }),
      },
      condition: { expression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)' },
    },
    conflict: { message: missing, type: 'NotFound' },
    event: { type: 'MESSAGE_DELETED', messageId },
    result: { ...ctx.result, message: '', deletedAt, deletedBy },
  };
  return null;
}
