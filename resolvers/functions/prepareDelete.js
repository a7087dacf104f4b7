// deleteMessage, after validateArgs: read the message and the room's settings (one consistent
// BatchGetItem), then describe the tombstone write for writeModeration: the text and the
// bySender index keys are removed (so no listing shows it), who and when are kept. A pinned
// message is unpinned in the same transaction: its copy in the settings must not outlive it.
// Deleting twice is NotFound.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { roomId, messageId } = ctx.args;
  const keys = [
    util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: `MSG#${messageId}` }),
    util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: 'SETTINGS' }),
  ];
  return { operation: 'BatchGetItem', tables: { [ctx.env.TABLE_NAME]: { keys, consistentRead: true } } };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const table = ctx.env.TABLE_NAME;
  if ((ctx.result.unprocessedKeys[table] || []).length > 0) {
    util.error('the room is busy; try again', 'Throttled');
  }
  const { roomId, messageId } = ctx.args;
  const rows = ctx.result.data[table];
  const message = rows[0];
  const settings = rows[1];
  const missing = `message ${messageId} does not exist in room ${roomId} or is already deleted`;
  if (!message || message.deletedAt) {
    util.error(missing, 'NotFound');
  }
  const deletedAt = util.time.nowISO8601();
  const deletedBy = ctx.stash.caller.id;
  ctx.stash.moderation = {
    action: 'deleteMessage',
    target: messageId,
    reason: null,
    details: { sender: message.sender },
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
    result: { ...message, message: '', deletedAt, deletedBy },
  };
  const pinned = settings && settings.pinnedMessage && settings.pinnedMessage.messageId === messageId;
  if (pinned) {
    const version = settings.version || 0;
    ctx.stash.moderation.also = [
      {
        table,
        operation: 'UpdateItem',
        key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: 'SETTINGS' }),
        update: {
          expression: 'REMOVE pinnedMessage SET updatedAt = :at, version = :next',
          expressionValues: util.dynamodb.toMapValues({ ':at': deletedAt, ':next': version + 1 }),
        },
        // Another moderator's settings change meanwhile cancels the deletion: retry.
        condition: { expression: 'version = :version', expressionValues: util.dynamodb.toMapValues({ ':version': version }) },
      },
    ];
    // Clients drop the message and the pinned banner with it.
    ctx.stash.moderation.event.settings = {
      slowModeSeconds: settings.slowModeSeconds || 0,
      blockedTerms: settings.blockedTerms || [],
      pinnedMessage: null,
      updatedAt: deletedAt,
    };
  }
  return null;
}
