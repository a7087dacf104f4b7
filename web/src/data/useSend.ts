// Sending a message or a reply. A failure (e.g. AppSync's ValidationError) comes back as
// text for the page to show next to the input; the caller keeps what the user typed.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useState } from 'react';

import { errorText } from './errors';
import { REPLY_TO_MESSAGE, SEND_MESSAGE } from './operations';
import type { Room } from './useRoom';

export interface Sender {
  /** Resolves true once the server has stored it, false if it failed (see error). */
  send: (text: string) => Promise<boolean>;
  sending: boolean;
  error: string | null;
  clearError: () => void;
}

function useMutationSender(perform: (text: string) => Promise<void>): Sender {
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const send = useCallback(
    async (text: string) => {
      setSending(true);
      setError(null);
      try {
        await perform(text);
        return true;
      } catch (failure) {
        setError(errorText(failure));
        return false;
      } finally {
        setSending(false);
      }
    },
    [perform],
  );
  const clearError = useCallback(() => setError(null), []);
  return { send, sending, error, clearError };
}

export function useSendMessage(room: Room, roomId: string): Sender {
  const client = useApolloClient();
  const { addOwn } = room;
  const perform = useCallback(
    async (message: string) => {
      const { data } = await client.mutate({ mutation: SEND_MESSAGE, variables: { roomId, message } });
      if (data) {
        addOwn(data.sendMessage);
      }
    },
    [client, roomId, addOwn],
  );
  return useMutationSender(perform);
}

export function useSendReply(room: Room, roomId: string, messageId: string): Sender {
  const client = useApolloClient();
  const { addOwnReply } = room;
  const perform = useCallback(
    async (message: string) => {
      const { data } = await client.mutate({ mutation: REPLY_TO_MESSAGE, variables: { roomId, messageId, message } });
      if (data) {
        addOwnReply(data.replyToMessage);
      }
    },
    [client, roomId, messageId, addOwnReply],
  );
  return useMutationSender(perform);
}
