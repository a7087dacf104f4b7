// updateRoomSettings, after validateArgs: read the room's SETTINGS row and, when pinning, the
// message (one consistent BatchGetItem), merge the changes, and describe the new row for
// writeModeration. The write is conditioned on the version read, so two moderators' changes
// never silently overwrite each other (ConcurrentModification: retry).
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { roomId } = ctx.args;
  const keys = [util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: 'SETTINGS' })];
  const pin = ctx.stash.changes.pinnedMessageId;
  if (pin) {
    keys.push(util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: `MSG#${pin}` }));
  }
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
  const { roomId } = ctx.args;
  const rows = ctx.result.data[table];
  const old = rows[0];
  const changes = ctx.stash.changes;
  const settings = {
    roomId,
    slowModeSeconds: old ? old.slowModeSeconds : 0,
    blockedTerms: old ? old.blockedTerms : [],
    pinnedMessage: old && old.pinnedMessage ? old.pinnedMessage : null,
    updatedAt: util.time.nowISO8601(),
  };
  if (changes.slowModeSeconds !== undefined) {
    settings.slowModeSeconds = changes.slowModeSeconds;
  }
  if (changes.blockedTerms !== undefined) {
    settings.blockedTerms = changes.blockedTerms;
  }
  let eventType = 'SETTINGS_UPDATED';
  if (changes.pinnedMessageId === null) {
    settings.pinnedMessage = null;
    eventType = 'MESSAGE_UNPINNED';
  } else if (changes.pinnedMessageId !== undefined) {
    const message = rows[1];
    if (!message || message.deletedAt) {
      util.error(`message ${changes.pinnedMessageId} does not exist in room ${roomId}`, 'NotFound', null, {
        field: 'pinnedMessageId',
      });
    }
    settings.pinnedMessage = {
      messageId: message.messageId,
      sender: message.sender,
      senderName: message.senderName || message.sender,
      message: message.message,
      createdAt: message.createdAt,
    };
    eventType = 'MESSAGE_PINNED';
  }
  const version = old ? old.version : 0;
  const condition = old
    ? { expression: 'version = :version', expressionValues: util.dynamodb.toMapValues({ ':version': version }) }
    : { expression: 'attribute_not_exists(pk)' };
  ctx.stash.moderation = {
    action: 'updateRoomSettings',
    target: changes.pinnedMessageId || null,
    reason: null,
    details: changes,
    item: {
      table,
      operation: 'PutItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: 'SETTINGS' }),
      attributeValues: util.dynamodb.toMapValues({ ...settings, type: 'SETTINGS', version: version + 1 }),
      condition,
    },
    conflict: { message: `another moderator changed room ${roomId} meanwhile; retry`, type: 'ConcurrentModification' },
    event: {
      type: eventType,
      messageId: settings.pinnedMessage ? settings.pinnedMessage.messageId : null,
      settings: {
        slowModeSeconds: settings.slowModeSeconds,
        blockedTerms: settings.blockedTerms,
        pinnedMessage: settings.pinnedMessage,
        updatedAt: settings.updatedAt,
      },
    },
    result: settings,
  };
  return null;
}
