// Every GraphQL operation the client sends (schema/chat.graphql is the contract).
// Mutations select every field a subscription filters on or shows: AppSync sends
// subscribers the mutation's selection set, and `roomId` must be in it for
// onSendMessage(roomId) / onReply(roomId) to match.
import { gql, type TypedDocumentNode } from '@apollo/client';

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

const MESSAGE_FIELDS = gql`
  fragment MessageFields on Message {
    roomId
    messageId
    sender
    senderName
    message
    createdAt
    repliedAt
    replyCount
  }
`;

const REPLY_FIELDS = gql`
  fragment ReplyFields on Reply {
    roomId
    messageId
    replyId
    sender
    senderName
    message
    createdAt
  }
`;

export const GET_MESSAGES: TypedDocumentNode<
  { getMessages: Page<Message> },
  { roomId: string; limit?: number; nextToken?: string | null }
> = gql`
  query GetMessages($roomId: ID!, $limit: Int, $nextToken: String) {
    getMessages(roomId: $roomId, limit: $limit, nextToken: $nextToken) {
      items {
        ...MessageFields
      }
      nextToken
    }
  }
  ${MESSAGE_FIELDS}
`;

export const GET_THREAD: TypedDocumentNode<
  { getThread: Page<Reply> },
  { roomId: string; messageId: string; limit?: number; nextToken?: string | null }
> = gql`
  query GetThread($roomId: ID!, $messageId: ID!, $limit: Int, $nextToken: String) {
    getThread(roomId: $roomId, messageId: $messageId, limit: $limit, nextToken: $nextToken) {
      items {
        ...ReplyFields
      }
      nextToken
    }
  }
  ${REPLY_FIELDS}
`;

export const GET_MESSAGES_BY_SENDER: TypedDocumentNode<
  { getMessagesBySender: Page<Message> },
  { sender: string; limit?: number; nextToken?: string | null }
> = gql`
  query GetMessagesBySender($sender: String!, $limit: Int, $nextToken: String) {
    getMessagesBySender(sender: $sender, limit: $limit, nextToken: $nextToken) {
      items {
        ...MessageFields
      }
      nextToken
    }
  }
  ${MESSAGE_FIELDS}
`;

export const SEND_MESSAGE: TypedDocumentNode<{ sendMessage: Message }, { roomId: string; message: string }> = gql`
  mutation SendMessage($roomId: ID!, $message: String!) {
    sendMessage(roomId: $roomId, message: $message) {
      ...MessageFields
    }
  }
  ${MESSAGE_FIELDS}
`;

export const REPLY_TO_MESSAGE: TypedDocumentNode<
  { replyToMessage: Reply },
  { roomId: string; messageId: string; message: string }
> = gql`
  mutation ReplyToMessage($roomId: ID!, $messageId: ID!, $message: String!) {
    replyToMessage(roomId: $roomId, messageId: $messageId, message: $message) {
      ...ReplyFields
    }
  }
  ${REPLY_FIELDS}
`;

export const ON_SEND_MESSAGE: TypedDocumentNode<{ onSendMessage: Message | null }, { roomId: string }> = gql`
  subscription OnSendMessage($roomId: ID!) {
    onSendMessage(roomId: $roomId) {
      ...MessageFields
    }
  }
  ${MESSAGE_FIELDS}
`;

/** Batched rooms: a flush's new messages and thread replies (replies count into their parents). */
export const ON_MESSAGE_BATCH: TypedDocumentNode<
  { onMessageBatch: { roomId: string; batchId: string; messages: Message[]; replies: Reply[] } | null },
  { roomId: string }
> = gql`
  subscription OnMessageBatch($roomId: ID!) {
    onMessageBatch(roomId: $roomId) {
      roomId
      batchId
      messages {
        ...MessageFields
      }
      replies {
        ...ReplyFields
      }
    }
  }
  ${MESSAGE_FIELDS}
  ${REPLY_FIELDS}
`;

export const ON_REPLY: TypedDocumentNode<{ onReply: Reply | null }, { roomId: string }> = gql`
  subscription OnReply($roomId: ID!) {
    onReply(roomId: $roomId) {
      ...ReplyFields
    }
  }
  ${REPLY_FIELDS}
`;

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

const ROOM_SETTINGS_FIELDS = gql`
  fragment RoomSettingsFields on RoomSettings {
    roomId
    slowModeSeconds
    blockedTerms
    updatedAt
    pinnedMessage {
      messageId
      sender
      senderName
      message
      createdAt
    }
  }
`;

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

export const ON_ROOM_EVENT: TypedDocumentNode<{ onRoomEvent: RoomEvent | null }, { roomId: string }> = gql`
  subscription OnRoomEvent($roomId: ID!) {
    onRoomEvent(roomId: $roomId) {
      roomId
      eventId
      type
      messageId
      userId
      createdAt
      settings {
        ...RoomSettingsFields
      }
    }
  }
  ${ROOM_SETTINGS_FIELDS}
`;

export const GET_ROOM_SETTINGS: TypedDocumentNode<{ getRoomSettings: RoomSettings }, { roomId: string }> = gql`
  query GetRoomSettings($roomId: ID!) {
    getRoomSettings(roomId: $roomId) {
      ...RoomSettingsFields
    }
  }
  ${ROOM_SETTINGS_FIELDS}
`;

export const UPDATE_ROOM_SETTINGS: TypedDocumentNode<
  { updateRoomSettings: RoomSettings | null },
  { roomId: string; slowModeSeconds?: number; blockedTerms?: string[]; pinnedMessageId?: string | null }
> = gql`
  mutation UpdateRoomSettings($roomId: ID!, $slowModeSeconds: Int, $blockedTerms: [String!], $pinnedMessageId: ID) {
    updateRoomSettings(
      roomId: $roomId
      slowModeSeconds: $slowModeSeconds
      blockedTerms: $blockedTerms
      pinnedMessageId: $pinnedMessageId
    ) {
      ...RoomSettingsFields
    }
  }
  ${ROOM_SETTINGS_FIELDS}
`;

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
> = gql`
  query GetModerationLog($roomId: ID!, $limit: Int, $nextToken: String) {
    getModerationLog(roomId: $roomId, limit: $limit, nextToken: $nextToken) {
      items {
        eventId
        action
        actor
        target
        reason
        details
        createdAt
      }
      nextToken
    }
  }
`;

export const UNBAN_USER: TypedDocumentNode<{ unbanUser: Ban | null }, { roomId: string; userId: string }> = gql`
  mutation UnbanUser($roomId: ID!, $userId: String!) {
    unbanUser(roomId: $roomId, userId: $userId) {
      roomId
      userId
      expiresAt
      active
    }
  }
`;

export const DELETE_MESSAGE: TypedDocumentNode<
  { deleteMessage: { roomId: string; messageId: string } | null },
  { roomId: string; messageId: string }
> = gql`
  mutation DeleteMessage($roomId: ID!, $messageId: ID!) {
    deleteMessage(roomId: $roomId, messageId: $messageId) {
      roomId
      messageId
    }
  }
`;

export const BAN_USER: TypedDocumentNode<
  { banUser: Ban | null },
  { roomId: string; userId: string; durationSeconds?: number | null; reason?: string | null }
> = gql`
  mutation BanUser($roomId: ID!, $userId: String!, $durationSeconds: Int, $reason: String) {
    banUser(roomId: $roomId, userId: $userId, durationSeconds: $durationSeconds, reason: $reason) {
      roomId
      userId
      expiresAt
      active
    }
  }
`;
