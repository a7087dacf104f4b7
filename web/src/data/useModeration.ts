// Moderators' actions on a room's messages: delete one, ban or time out its sender. A
// failure (e.g. Unauthorized, ValidationError) comes back as text for the page to show.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useState } from 'react';

import i18n, { i18nKey } from '../i18n';
import { errorText } from './errors';
import {
  BAN_USER,
  DELETE_MESSAGE,
  UNBAN_USER,
  UPDATE_ROOM_SETTINGS,
  authorName,
  type Message,
} from './operations';
import type { Room } from './useRoom';

/** A ban's length: null is permanent, otherwise seconds (a timeout). */
export type BanDuration = number | null;

/** The ban dialog's choices; the first (a 10-minute timeout) is the default, not a permanent ban. */
export const BAN_DURATIONS: { label: string; seconds: BanDuration }[] = [
  { label: i18nKey('10 minutes'), seconds: 600 },
  { label: i18nKey('1 hour'), seconds: 3600 },
  { label: i18nKey('24 hours'), seconds: 86_400 },
  { label: i18nKey('Permanent'), seconds: null },
];

export interface Moderation {
  deleteMessage: (message: Message) => Promise<void>;
  banSender: (message: Message, duration: BanDuration, reason?: string) => Promise<void>;
  unban: (userId: string, name: string) => Promise<void>;
  pin: (message: Message) => Promise<void>;
  unpin: () => Promise<void>;
  saveSettings: (slowModeSeconds: number, blockedTerms: string[]) => Promise<boolean>;
  /** Bumped after every action that succeeded: whoever shows the moderation log re-reads it. */
  actions: number;
  /** The last action's outcome, for the page to announce. */
  notice: string | null;
  error: string | null;
}

export function useModeration(room: Room, roomId: string): Moderation {
  const client = useApolloClient();
  const { removeDeleted, setSettings } = room;
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actions, setActions] = useState(0);

  const run = useCallback(async (action: () => Promise<string>): Promise<boolean> => {
    setError(null);
    setNotice(null);
    try {
      setNotice(await action());
      setActions((n) => n + 1);
      return true;
    } catch (failure) {
      setError(errorText(failure));
      return false;
    }
  }, []);

  const deleteMessage = useCallback(
    async (message: Message) => {
      await run(async () => {
        // errorPolicy all: a stored deletion the room was not told of (RoomEventNotPublished)
        // still leaves this page, and the page says what went wrong.
        const { data, error: partial } = await client.mutate({
          mutation: DELETE_MESSAGE,
          variables: { roomId, messageId: message.messageId },
          errorPolicy: 'all',
        });
        if (!data?.deleteMessage) {
          throw partial ?? new Error('deleteMessage returned nothing.');
        }
        removeDeleted(message.messageId);
        if (partial) {
          setError(errorText(partial));
        }
        return i18n.t('Deleted a message by {{name}}.', { name: authorName(message) });
      });
    },
    [client, roomId, removeDeleted, run],
  );

  const banSender = useCallback(
    async (message: Message, duration: BanDuration, reason?: string) => {
      await run(async () => {
        await client.mutate({
          mutation: BAN_USER,
          variables: { roomId, userId: message.sender, durationSeconds: duration, reason: reason?.trim() || null },
        });
        const label = BAN_DURATIONS.find((d) => d.seconds === duration)?.label;
        const name = authorName(message);
        return duration === null
          ? i18n.t('Banned {{name}} from #{{room}}.', { name, room: roomId })
          : i18n.t('Timed out {{name}} in #{{room}} for {{length}}.', {
              name,
              room: roomId,
              length: label ? i18n.t(label) : i18n.t('{{count}} seconds', { count: duration }),
            });
      });
    },
    [client, roomId, run],
  );

  const unban = useCallback(
    async (userId: string, name: string) => {
      await run(async () => {
        await client.mutate({ mutation: UNBAN_USER, variables: { roomId, userId } });
        return i18n.t('Lifted the ban on {{name}} in #{{room}}.', { name, room: roomId });
      });
    },
    [client, roomId, run],
  );

  const updateSettings = useCallback(
    async (variables: { slowModeSeconds?: number; blockedTerms?: string[]; pinnedMessageId?: string | null }) => {
      const { data } = await client.mutate({ mutation: UPDATE_ROOM_SETTINGS, variables: { roomId, ...variables } });
      if (!data?.updateRoomSettings) {
        throw new Error('updateRoomSettings returned nothing.');
      }
      setSettings(data.updateRoomSettings);
    },
    [client, roomId, setSettings],
  );

  const pin = useCallback(
    async (message: Message) => {
      await run(async () => {
        await updateSettings({ pinnedMessageId: message.messageId });
        return i18n.t('Pinned a message by {{name}}.', { name: authorName(message) });
      });
    },
    [run, updateSettings],
  );

  const unpin = useCallback(async () => {
    await run(async () => {
      await updateSettings({ pinnedMessageId: null });
      return i18n.t('Unpinned the message.');
    });
  }, [run, updateSettings]);

  const saveSettings = useCallback(
    (slowModeSeconds: number, blockedTerms: string[]) =>
      run(async () => {
        await updateSettings({ slowModeSeconds, blockedTerms });
        return i18n.t('Saved the settings of #{{room}}.', { room: roomId });
      }),
    [roomId, run, updateSettings],
  );

  return { deleteMessage, banSender, unban, pin, unpin, saveSettings, actions, notice, error };
}
