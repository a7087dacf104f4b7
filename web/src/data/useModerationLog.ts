// Moderators: a room's moderation log, newest first, re-read after each action of theirs.
// Which bans are still in force is derived from the log (a ban not lifted later and, for a
// timeout, not over), so the page can offer "Unban" where it means something.
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useState } from 'react';

import { errorText } from './errors';
import { GET_MODERATION_LOG, type ModerationEvent } from './operations';

const LOG_PAGE_SIZE = 50;

export interface ModerationLog {
  events: ModerationEvent[];
  /** The eventIds of bans that still hold (each user's latest ban, not lifted, not over). */
  activeBans: Set<string>;
  loading: boolean;
  error: string | null;
}

function durationSeconds(event: ModerationEvent): number | null {
  try {
    const details = event.details ? (JSON.parse(event.details) as { durationSeconds?: number | null }) : {};
    return typeof details.durationSeconds === 'number' ? details.durationSeconds : null;
  } catch {
    return null;
  }
}

/** Newest first: the first ban or unban seen for a user decides. */
export function activeBans(events: ModerationEvent[], now: number = Date.now()): Set<string> {
  const decided = new Set<string>();
  const active = new Set<string>();
  for (const event of events) {
    const user = event.target;
    if (!user || decided.has(user) || (event.action !== 'banUser' && event.action !== 'unbanUser')) {
      continue;
    }
    decided.add(user);
    const seconds = durationSeconds(event);
    const over = seconds !== null && new Date(event.createdAt).getTime() + seconds * 1000 <= now;
    if (event.action === 'banUser' && !over) {
      active.add(event.eventId);
    }
  }
  return active;
}

export function useModerationLog(roomId: string, refresh: number): ModerationLog {
  const client = useApolloClient();
  const [state, setState] = useState<Omit<ModerationLog, 'activeBans'>>({ events: [], loading: true, error: null });

  useEffect(() => {
    let current = true;
    client
      .query({ query: GET_MODERATION_LOG, variables: { roomId, limit: LOG_PAGE_SIZE }, fetchPolicy: 'no-cache' })
      .then(
        ({ data }) => current && setState({ events: data?.getModerationLog.items ?? [], loading: false, error: null }),
        (failure: unknown) => current && setState((s) => ({ ...s, loading: false, error: errorText(failure) })),
      );
    return () => {
      current = false;
    };
  }, [client, roomId, refresh]);

  return { ...state, activeBans: activeBans(state.events) };
}
