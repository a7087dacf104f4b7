// Every GraphQL operation the client sends, typed: the documents are schema/operations.graphql's
// (./documents), the contract schema/chat.graphql.
// Mutations select every field a subscription filters on or shows: AppSync sends
// subscribers the mutation's selection set, and `roomId` must be in it for
// onSendMessage(roomId) / onReply(roomId) to match.
import type { TypedDocumentNode } from '@apollo/client';
import { operation } from './documents';
import type * as G from './generated';

// The shapes the client works with: the generated types of its fragments and operations
// (./generated.ts, from schema/chat.graphql and schema/operations.graphql).
export type Message = G.MessageFields;
export type Reply = G.ReplyFields;

/** Who to show as the author: the display name, else the stable id. */
export function authorName(item: { sender: string; senderName: string | null }): string {
  return item.senderName || item.sender;
}

export interface Page<T> {
  items: T[];
  nextToken: string | null;
}

export const GET_MESSAGES: TypedDocumentNode<G.GetMessagesResult, G.GetMessagesVariables> = operation('GetMessages');

export const GET_THREAD: TypedDocumentNode<G.GetThreadResult, G.GetThreadVariables> = operation('GetThread');

export const GET_MESSAGES_BY_SENDER: TypedDocumentNode<G.GetMessagesBySenderResult, G.GetMessagesBySenderVariables> = operation('GetMessagesBySender');

export const SEND_MESSAGE: TypedDocumentNode<G.SendMessageResult, G.SendMessageVariables> = operation('SendMessage');

export const REPLY_TO_MESSAGE: TypedDocumentNode<G.ReplyToMessageResult, G.ReplyToMessageVariables> = operation('ReplyToMessage');

export const ON_SEND_MESSAGE: TypedDocumentNode<G.OnSendMessageResult, G.OnSendMessageVariables> = operation('OnSendMessage');

/** Batched rooms: a flush's new messages and thread replies (replies count into their parents). */
export const ON_MESSAGE_BATCH: TypedDocumentNode<G.OnMessageBatchResult, G.OnMessageBatchVariables> = operation('OnMessageBatch');

export const ON_REPLY: TypedDocumentNode<G.OnReplyResult, G.OnReplyVariables> = operation('OnReply');

// Moderation (docs/attendees-and-moderators.md "Moderation"). A room event's selection set is what publishRoomEvent
// selects (resolvers/functions/publishRoomEvent.js); a subscriber may ask for less.
export type RoomEventType = G.RoomEventType;
export type RoomSettings = G.RoomSettingsFields;
export type PinnedMessage = NonNullable<RoomSettings['pinnedMessage']>;
export type RoomEvent = NonNullable<G.OnRoomEventResult['onRoomEvent']>;
export type Ban = NonNullable<G.BanUserResult['banUser']>;

export const ON_ROOM_EVENT: TypedDocumentNode<G.OnRoomEventResult, G.OnRoomEventVariables> = operation('OnRoomEvent');

export const GET_ROOM_SETTINGS: TypedDocumentNode<G.GetRoomSettingsResult, G.GetRoomSettingsVariables> = operation('GetRoomSettings');

export const UPDATE_ROOM_SETTINGS: TypedDocumentNode<G.UpdateRoomSettingsResult, G.UpdateRoomSettingsVariables> = operation('UpdateRoomSettings');

export type ModerationEvent = G.GetModerationLogResult['getModerationLog']['items'][number];

export const GET_MODERATION_LOG: TypedDocumentNode<G.GetModerationLogResult, G.GetModerationLogVariables> = operation('GetModerationLog');

export const UNBAN_USER: TypedDocumentNode<G.UnbanUserResult, G.UnbanUserVariables> = operation('UnbanUser');

export const DELETE_MESSAGE: TypedDocumentNode<G.DeleteMessageResult, G.DeleteMessageVariables> = operation('DeleteMessage');

export const BAN_USER: TypedDocumentNode<G.BanUserResult, G.BanUserVariables> = operation('BanUser');
