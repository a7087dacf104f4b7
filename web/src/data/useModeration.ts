// Moderators' actions on a room's messages: delete one, ban or time out its sender. A
// failure (e.g. Unauthorized, ValidationError) comes back as text for the page to show.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useState } from 'react';

import { errorText } from './errors';
import { BAN_USER, DELETE_MESSAGE, authorName, type Message } from './operations';
import type { Room } from './useRoom';

/** A ban's length: null is permanent, otherwise seconds (a timeout). */
export type BanDuration = number | null;

export const BAN_DURATIONS: { label: string; seconds: BanDuration }[] = [
  { label: 'Permanent', seconds: null },
  { label: '10 minutes', seconds: 600 },
  { label: '1 hour', seconds: 3600 },
  { label: '24 hours', seconds: 86_400 },
];

export interface Moderation {
  deleteMessage: (message: Message) => Promise<void>;
  banSender: (message: Message, duration: BanDuration) => Promise<void>;
  /** The last action's outcome, for the page to announce. */
  notice: string | null;
  error: string | null;
}

export function useModeration(room: Room, roomId: string): Moderation {
  const client = useApolloClient();
  const { removeDeleted } = room;
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = useCallback(async (action: () => Promise<string>) => {
    setError(null);
    setNotice(null);
    try {
      setNotice(await action());
    } catch (failure) {
      setError(errorText(failure));
    }
  }, []);

  const deleteMessage = useCallback(
    (message: Message) =>
      run(async () => {
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
        return `Deleted a message by ${authorName(message)}.`;
      }),
    [client, roomId, removeDeleted, run],
  );

  const banSender = useCallback(
    (message: Message, duration: BanDuration) =>
      run(async () => {
        await client.mutate({
          mutation: BAN_USER,
          variables: { roomId, userId: message.sender, durationSeconds: duration },
        });
        const label = BAN_DURATIONS.find((d) => d.seconds === duration)?.label ?? `${duration} seconds`;
        return duration === null
          ? `Banned ${authorName(message)} from #${roomId}.`
          : `Timed out ${authorName(message)} in #${roomId} for ${label}.`;
      }),
    [client, roomId, run],
  );

  return { deleteMessage, banSender, notice, error };
}
