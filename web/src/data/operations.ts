// Every GraphQL operation the client sends, typed: the documents are schema/operations.graphql's
// (./documents), the contract schema/chat.graphql.
// Mutations select every field a subscription filters on or shows: AppSync sends
// subscribers the mutation's selection set, and `roomId` must be in it for
// onSendMessage(roomId) / onReply(roomId) to match.
import type { TypedDocumentNode } from '@apollo/client';
import { operation } from './documents';

export interface Message {
  roomId: string;
  messageId: string;
  /** The sender's stable id (the token's sub); what getMessagesBySender takes. */
  sender: string;
  /** The sender's display name when they sent it. */
  senderName: string | null;
  message: string;
  createdAt: string;
  repliedAt: string | null;
  replyCount: number;
}

export interface Reply {
  roomId: string;
  messageId: string;
  replyId: string;
  sender: string;
  senderName: string | null;
  message: string;
  createdAt: string;
}

/** Who to show as the author: the display name, else the stable id. */
export function authorName(item: { sender: string; senderName: string | null }): string {
  return item.senderName || item.sender;
}

export interface Page<T> {
  items: T[];
  nextToken: string | null;
}

export const GET_MESSAGES: TypedDocumentNode<
  { getMessages: Page<Message> },
  { roomId: string; limit?: number; nextToken?: string | null }
> = operation('GetMessages');

export const GET_THREAD: TypedDocumentNode<
  { getThread: Page<Reply> },
  { roomId: string; messageId: string; limit?: number; nextToken?: string | null }
> = operation('GetThread');

export const GET_MESSAGES_BY_SENDER: TypedDocumentNode<
  { getMessagesBySender: Page<Message> },
  { sender: string; limit?: number; nextToken?: string | null }
> = operation('GetMessagesBySender');

export const SEND_MESSAGE: TypedDocumentNode<{ sendMessage: Message }, { roomId: string; message: string }> = operation('SendMessage');

export const REPLY_TO_MESSAGE: TypedDocumentNode<
  { replyToMessage: Reply },
  { roomId: string; messageId: string; message: string }
> = operation('ReplyToMessage');

export const ON_SEND_MESSAGE: TypedDocumentNode<{ onSendMessage: Message | null }, { roomId: string }> = operation('OnSendMessage');

/** Batched rooms: a flush's new messages and thread replies (replies count into their parents). */
export const ON_MESSAGE_BATCH: TypedDocumentNode<
  { onMessageBatch: { roomId: string; batchId: string; messages: Message[]; replies: Reply[] } | null },
  { roomId: string }
> = operation('OnMessageBatch');

export const ON_REPLY: TypedDocumentNode<{ onReply: Reply | null }, { roomId: string }> = operation('OnReply');

// Moderation (docs/attendees-and-moderators.md "Moderation"). A room event's selection set is what publishRoomEvent
// selects (resolvers/functions/publishRoomEvent.js); a subscriber may ask for less.
export type RoomEventType =
  | 'MESSAGE_DELETED'
  | 'SETTINGS_UPDATED'
  | 'MESSAGE_PINNED'
  | 'MESSAGE_UNPINNED'
  | 'USER_BANNED'
  | 'USER_UNBANNED';

export interface PinnedMessage {
  messageId: string;
  sender: string;
  senderName: string | null;
  message: string;
  createdAt: string;
}

export interface RoomSettings {
  roomId: string;
  slowModeSeconds: number;
  blockedTerms: string[];
  pinnedMessage: PinnedMessage | null;
  updatedAt: string | null;
}

export interface RoomEvent {
  roomId: string;
  eventId: string;
  type: RoomEventType;
  /** MESSAGE_DELETED, MESSAGE_PINNED: the message. */
  messageId: string | null;
  /** USER_BANNED, USER_UNBANNED: the user (a message's sender). */
  userId: string | null;
  /** SETTINGS_UPDATED, MESSAGE_PINNED, MESSAGE_UNPINNED: the room's settings after the change. */
  settings: RoomSettings | null;
  createdAt: string;
}

export interface Ban {
  roomId: string;
  userId: string;
  expiresAt: string | null;
  active: boolean;
}

export const ON_ROOM_EVENT: TypedDocumentNode<{ onRoomEvent: RoomEvent | null }, { roomId: string }> = operation('OnRoomEvent');

export const GET_ROOM_SETTINGS: TypedDocumentNode<{ getRoomSettings: RoomSettings }, { roomId: string }> = operation('GetRoomSettings');

export const UPDATE_ROOM_SETTINGS: TypedDocumentNode<
  { updateRoomSettings: RoomSettings | null },
  { roomId: string; slowModeSeconds?: number; blockedTerms?: string[]; pinnedMessageId?: string | null }
> = operation('UpdateRoomSettings');

export interface ModerationEvent {
  eventId: string;
  action: string;
  actor: string;
  target: string | null;
  reason: string | null;
  /** The action's other inputs as JSON (durationSeconds, the new settings). */
  details: string | null;
  createdAt: string;
}

export const GET_MODERATION_LOG: TypedDocumentNode<
  { getModerationLog: { items: ModerationEvent[]; nextToken: string | null } },
  { roomId: string; limit?: number; nextToken?: string | null }
> = operation('GetModerationLog');

export const UNBAN_USER: TypedDocumentNode<{ unbanUser: Ban | null }, { roomId: string; userId: string }> = operation('UnbanUser');

export const DELETE_MESSAGE: TypedDocumentNode<
  { deleteMessage: { roomId: string; messageId: string } | null },
  { roomId: string; messageId: string }
> = operation('DeleteMessage');

export const BAN_USER: TypedDocumentNode<
  { banUser: Ban | null },
  { roomId: string; userId: string; durationSeconds?: number | null; reason?: string | null }
> = operation('BanUser');
