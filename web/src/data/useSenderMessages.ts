// Moderators: one sender's messages across rooms, newest first (getMessagesBySender).
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useState } from 'react';

import { errorText } from './errors';
import { GET_MESSAGES_BY_SENDER, type Message } from './operations';

const SENDER_PAGE_SIZE = 50;

export interface SenderMessages {
  messages: Message[];
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  loadMore: () => Promise<void>;
}

export function useSenderMessages(sender: string): SenderMessages {
  const client = useApolloClient();
  const [messages, setMessages] = useState<Message[]>([]);
  const [nextToken, setNextToken] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const fetchPage = useCallback(
    (token: string | null) =>
      client
        .query({ query: GET_MESSAGES_BY_SENDER, variables: { sender, limit: SENDER_PAGE_SIZE, nextToken: token } })
        .then(({ data }) => data?.getMessagesBySender ?? { items: [], nextToken: null }),
    [client, sender],
  );

  // One hook instance per sender (the panel is keyed by it): the first page on mount.
  useEffect(() => {
    let current = true;
    fetchPage(null).then(
      (page) => {
        if (current) {
          setMessages(page.items);
          setNextToken(page.nextToken);
          setLoading(false);
        }
      },
      (failure: unknown) => {
        if (current) {
          setError(errorText(failure));
          setLoading(false);
        }
      },
    );
    return () => {
      current = false;
    };
  }, [fetchPage]);

  const loadMore = useCallback(async () => {
    setLoading(true);
    try {
      const page = await fetchPage(nextToken);
      setMessages((held) => [...held, ...page.items]);
      setNextToken(page.nextToken);
      setError(null);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setLoading(false);
    }
  }, [fetchPage, nextToken]);

  return { messages, hasMore: nextToken !== null, loading, error, loadMore };
}
