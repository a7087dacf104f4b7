// Sending a message or a reply. A failure (e.g. AppSync's ValidationError) comes back as
// text for the page to show next to the input; nothing typed is lost. Sends made while one
// is in flight wait in a queue and go in order; when one fails, it and everything queued
// behind it come back as `unsent` for the input to show again.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useRef, useState } from 'react';

import { errorText, retryAt } from './errors';
import { REPLY_TO_MESSAGE, SEND_MESSAGE } from './operations';
import type { Room } from './useRoom';

export interface Sender {
  /** Sends now, or after the sends before it (queued); the input may clear at once. */
  send: (text: string) => void;
  sending: boolean;
  /** Sends waiting behind the one in flight. */
  queued: number;
  error: string | null;
  /** A refused send may be tried again from this time (epoch ms): slow mode, a timeout. */
  retryAt: number | null;
  /** Called with what was not sent (the failed text and any queued after it), for the input to show again. */
  onUnsent: (listener: (text: string) => void) => () => void;
  clearError: () => void;
}

function useMutationSender(perform: (text: string) => Promise<void>): Sender {
  const [sending, setSending] = useState(false);
  const [queued, setQueued] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [retry, setRetry] = useState<number | null>(null);
  const unsentListeners = useRef(new Set<(text: string) => void>());
  const queue = useRef<string[]>([]);
  const busy = useRef(false);

  const drain = useCallback(async () => {
    busy.current = true;
    setSending(true);
    while (queue.current.length > 0) {
      const text = queue.current[0];
      setQueued(queue.current.length - 1);
      try {
        await perform(text);
        queue.current.shift();
      } catch (failure) {
        setError(errorText(failure));
        setRetry(retryAt(failure));
        const back = queue.current.join('\n');
        queue.current = [];
        unsentListeners.current.forEach((listener) => listener(back));
        break;
      }
    }
    setQueued(0);
    setSending(false);
    busy.current = false;
  }, [perform]);

  const send = useCallback(
    (text: string) => {
      setError(null);
      setRetry(null);
      queue.current.push(text);
      if (busy.current) {
        setQueued(queue.current.length - 1);
        return;
      }
      void drain();
    },
    [drain],
  );
  const onUnsent = useCallback((listener: (text: string) => void) => {
    unsentListeners.current.add(listener);
    return () => {
      unsentListeners.current.delete(listener);
    };
  }, []);
  const clearError = useCallback(() => {
    setError(null);
    setRetry(null);
  }, []);
  return { send, sending, queued, error, retryAt: retry, onUnsent, clearError };
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
