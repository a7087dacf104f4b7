// One message's thread: replies oldest first, paged forward with nextToken, live replies
// merged in (by replyId, in order), refetched after the room reconnects.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useState } from 'react';

import { GET_THREAD, type Reply } from './operations';
import type { Room } from './useRoom';

const THREAD_PAGE_SIZE = 50;
/** Pages read again after a reconnect before the thread asks the user to load the rest. */
const MAX_RESYNC_PAGES = 10;

export interface Thread {
  replies: Reply[];
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  loadMore: () => Promise<void>;
}

export function mergeReplies(existing: Reply[], incoming: Reply[]): Reply[] {
  const byId = new Map(existing.map((r) => [r.replyId, r]));
  let changed = false;
  for (const reply of incoming) {
    if (!byId.has(reply.replyId)) {
      byId.set(reply.replyId, reply);
      changed = true;
    }
  }
  return changed ? [...byId.values()].sort((a, b) => (a.replyId < b.replyId ? -1 : 1)) : existing;
}

export function useThread(room: Room, roomId: string, messageId: string): Thread {
  const client = useApolloClient();
  const [replies, setReplies] = useState<Reply[]>([]);
  const [nextToken, setNextToken] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const { onReply, connection } = room;

  const fetchPage = useCallback(
    async (token: string | null) => {
      const { data } = await client.query({
        query: GET_THREAD,
        variables: { roomId, messageId, limit: THREAD_PAGE_SIZE, nextToken: token },
      });
      if (!data) {
        throw new Error('getThread returned no data.');
      }
      return data.getThread;
    },
    [client, roomId, messageId],
  );

  // Live replies to this message, from the room's onReply subscription.
  useEffect(
    () =>
      onReply((reply) => {
        if (reply.messageId === messageId) {
          setReplies((held) => mergeReplies(held, [reply]));
        }
      }),
    [onReply, messageId],
  );

  // First load, and again (as far as was loaded) after every reconnect.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      setLoading(true);
      try {
        let token: string | null = null;
        const fetched: Reply[] = [];
        for (let page = 0; page < MAX_RESYNC_PAGES; page++) {
          const result = await fetchPage(token);
          fetched.push(...result.items);
          token = result.nextToken;
          if (token === null || connection.resyncs === 0) {
            break;
          }
        }
        if (!cancelled) {
          setReplies((held) => mergeReplies(held, fetched));
          setNextToken(token);
          setError(null);
        }
      } catch (failure) {
        if (!cancelled) {
          setError(String(failure));
        }
      } finally {
        if (!cancelled) {
          setLoading(false);
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [fetchPage, connection.resyncs]);

  const loadMore = useCallback(async () => {
    if (nextToken === null) {
      return;
    }
    setLoading(true);
    try {
      const result = await fetchPage(nextToken);
      setReplies((held) => mergeReplies(held, result.items));
      setNextToken(result.nextToken);
    } catch (failure) {
      setError(String(failure));
    } finally {
      setLoading(false);
    }
  }, [fetchPage, nextToken]);

  return { replies, hasMore: nextToken !== null, loading, error, loadMore };
}
