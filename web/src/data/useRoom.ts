// A room as the page sees it: its messages (history + live, de-duplicated, in order), the
// connection state, paging to older messages, and live replies for whoever shows a thread.
import { useApolloClient } from '@apollo/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';

import type { FanOutMode } from '../config';
import { expandBatch } from './batch';
import {
  EMPTY_FEED,
  addLatestPage,
  addLive,
  addOlderPage,
  countReply,
  fillGap,
  removeMessage,
  type Feed,
} from './feed';
import { useEventsChannels } from './eventsChannel';
import { liveStream, liveSubscription, type SubscriptionState } from './liveSubscription';
import {
  GET_MESSAGES,
  GET_ROOM_SETTINGS,
  ON_MESSAGE_BATCH,
  ON_REPLY,
  ON_ROOM_EVENT,
  ON_SEND_MESSAGE,
  type Message,
  type Reply,
  type RoomEvent,
  type RoomSettings,
} from './operations';

/** What an events stack's room channel carries (fanout_consumer.events): packed batches and room events. */
type ChannelEvent =
  | ({ kind: 'batch' } & Parameters<typeof expandBatch>[0])
  | ({ kind: 'roomEvent' } & RoomEvent)
  | null;

/** Messages per history page. */
export const PAGE_SIZE = 50;
/** Pages read after a reconnect to find where the held messages end; more missed = restart. */
const MAX_GAP_PAGES = 5;
const GAP_PAGE_SIZE = 100;
/** Deleted messageIds remembered, so a copy arriving after its deletion (a late page) stays hidden. */
const MAX_REMEMBERED_DELETIONS = 1000;

export type ReplyListener = (reply: Reply) => void;

export interface RoomConnection {
  state: SubscriptionState;
  /** Why the last subscription attempt failed, while reconnecting. */
  detail?: string;
  /** Bumped whenever the room's subscriptions are live again after a drop: refetch what you show. */
  resyncs: number;
}

export interface Room {
  messages: Message[];
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => Promise<void>;
  /** The sender's own mutation result, shown at once (the subscription copy is merged away). */
  addOwn: (message: Message) => void;
  /** The user's own reply (mutation result): counted and shown without waiting for onReply. */
  addOwnReply: (reply: Reply) => void;
  /** A deleted message leaves the list (the moderator's own mutation; others learn it from onRoomEvent). */
  removeDeleted: (messageId: string) => void;
  connection: RoomConnection;
  onReply: (listener: ReplyListener) => () => void;
  /** Slow mode, blocked terms and the pinned message, live (null until first read). */
  settings: RoomSettings | null;
  /** A moderator's own settings change (mutation result), shown without waiting for the room event. */
  setSettings: (settings: RoomSettings) => void;
}

function combine(...states: SubscriptionState[]): SubscriptionState {
  if (states.includes('refused')) {
    return 'refused';
  }
  if (states.every((state) => state === 'live')) {
    return 'live';
  }
  return states.includes('reconnecting') ? 'reconnecting' : 'connecting';
}

export function useRoom(roomId: string, fanOutMode: FanOutMode): Room {
  const client = useApolloClient();
  const events = useEventsChannels();
  const feedRef = useRef<Feed>(EMPTY_FEED);
  const [feed, setFeedState] = useState<Feed>(EMPTY_FEED);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [connection, setConnection] = useState<RoomConnection>({ state: 'connecting', resyncs: 0 });
  const replyListeners = useRef(new Set<ReplyListener>());
  const [settings, setSettingsState] = useState<RoomSettings | null>(null);
  // Newest first: a settings copy older than the one shown (a late room event) is ignored.
  const setSettings = useCallback((next: RoomSettings) => {
    setSettingsState((current) =>
      current && current.updatedAt && next.updatedAt && next.updatedAt < current.updatedAt ? current : next,
    );
  }, []);
  const deleted = useRef(new Set<string>());

  const update = useCallback((change: (feed: Feed) => Feed) => {
    let next = change(feedRef.current);
    if (next !== feedRef.current && deleted.current.size > 0 && next.messages.some((m) => deleted.current.has(m.messageId))) {
      next = { ...next, messages: next.messages.filter((m) => !deleted.current.has(m.messageId)) };
    }
    if (next !== feedRef.current) {
      feedRef.current = next;
      setFeedState(next);
    }
  }, []);

  const fetchPage = useCallback(
    async (nextToken: string | null, limit: number) => {
      const { data } = await client.query({ query: GET_MESSAGES, variables: { roomId, limit, nextToken } });
      if (!data) {
        throw new Error('getMessages returned no data.');
      }
      return data.getMessages;
    },
    [client, roomId],
  );

  // Live or the user's own: counted once into its message, and passed to open threads.
  const receiveReply = useCallback(
    (reply: Reply) => {
      update((f) => countReply(f, reply));
      replyListeners.current.forEach((listener) => listener(reply));
    },
    [update],
  );

  const removeDeleted = useCallback(
    (messageId: string) => {
      if (deleted.current.size >= MAX_REMEMBERED_DELETIONS) {
        deleted.current.clear();
      }
      deleted.current.add(messageId);
      update((f) => removeMessage(f, messageId));
    },
    [update],
  );

  // One hook instance serves one room: the page keys its room component by roomId.
  useEffect(() => {
    let messagesState: SubscriptionState = 'connecting';
    // Batched rooms deliver replies inside their batches (onReply is refused there).
    let repliesState: SubscriptionState = fanOutMode === 'perMessage' ? 'connecting' : 'live';
    // events stacks: room events arrive on the room's channel with its messages.
    let roomEventsState: SubscriptionState = fanOutMode === 'events' ? 'live' : 'connecting';
    let combined: SubscriptionState = 'connecting';
    let wasLive = false;
    const report = (detail?: string) => {
      const state = combine(messagesState, repliesState, roomEventsState);
      const resynced = state === 'live' && combined !== 'live' && wasLive;
      combined = state;
      wasLive ||= state === 'live';
      setConnection((previous) => ({
        state,
        detail: state === 'reconnecting' || state === 'refused' ? detail ?? previous.detail : undefined,
        resyncs: previous.resyncs + (resynced ? 1 : 0),
      }));
    };

    // Everything sent while not subscribed: newest pages until they reach what is held.
    const catchUp = async () => {
      const held = feedRef.current.messages;
      if (held.length === 0) {
        const page = await fetchPage(null, PAGE_SIZE);
        update((f) => addLatestPage(f, page.items, page.nextToken));
        return;
      }
      const newestHeld = held[held.length - 1].messageId;
      const fetched: Message[] = [];
      let token: string | null = null;
      let overlapped = false;
      for (let i = 0; i < MAX_GAP_PAGES && !overlapped; i++) {
        const page = await fetchPage(token, GAP_PAGE_SIZE);
        fetched.push(...page.items);
        token = page.nextToken;
        overlapped = token === null || page.items.some((m) => m.messageId <= newestHeld);
      }
      update((f) => fillGap(f, fetched, token, overlapped));
    };

    // Live messages are merged once per frame, not once per message: a burst (a batch, or
    // frames queued while the page was busy) costs one render.
    let pending: Message[] = [];
    let pendingReplies: Reply[] = [];
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      const arrived = pending;
      const replies = pendingReplies;
      pending = [];
      pendingReplies = [];
      update((f) => addLive(f, arrived));
      // After the messages, so a reply to a message of the same batch finds its parent.
      replies.forEach(receiveReply);
    };
    const receiveLive = (messages: Message[], replies: Reply[] = []) => {
      pending.push(...messages);
      pendingReplies.push(...replies);
      if (!flushScheduled) {
        flushScheduled = true;
        // A hidden page gets no animation frames: flush on a timer there.
        if (document.hidden) {
          setTimeout(flush, 250);
        } else {
          requestAnimationFrame(flush);
        }
      }
    };
    const onRoomEvent = (event: RoomEvent | null | undefined) => {
      if (event?.type === 'MESSAGE_DELETED' && event.messageId) {
        removeDeleted(event.messageId);
      }
      if (event?.settings) {
        setSettings(event.settings);
      }
    };
    // The room's settings (pinned message, slow mode) are read once its room events flow, so a
    // change made meanwhile is not missed; room events keep them current.
    const readSettings = async () => {
      const { data } = await client.query({ query: GET_ROOM_SETTINGS, variables: { roomId }, fetchPolicy: 'no-cache' });
      if (data) {
        setSettings(data.getRoomSettings);
      }
    };
    const channelEvent = (event: ChannelEvent) => {
      if (event?.kind === 'batch') {
        const { messages, replies } = expandBatch(event);
        receiveLive(messages, replies);
      } else if (event?.kind === 'roomEvent') {
        onRoomEvent(event);
      }
    };
    const stopMessages =
      fanOutMode === 'events' && events
        ? liveStream<ChannelEvent>((handlers) => events.subscribe(`/rooms/${roomId}`, handlers), {
            onData: channelEvent,
            onSubscribed: async () => {
              await catchUp();
              await readSettings();
            },
            onState: (state, detail) => {
              messagesState = state;
              report(detail);
            },
          })
        : fanOutMode !== 'perMessage'
        ? liveSubscription(client, {
            query: ON_MESSAGE_BATCH,
            variables: { roomId },
            onData: (data) => {
              const batch = data.onMessageBatch;
              if (batch) {
                const { messages, replies } = expandBatch(batch);
                receiveLive(messages, replies);
              }
            },
            onSubscribed: catchUp,
            onState: (state, detail) => {
              messagesState = state;
              report(detail);
            },
          })
        : liveSubscription(client, {
            query: ON_SEND_MESSAGE,
            variables: { roomId },
            onData: (data) => {
              const message = data.onSendMessage;
              if (message) {
                receiveLive([message]);
              }
            },
            onSubscribed: catchUp,
            onState: (state, detail) => {
              messagesState = state;
              report(detail);
            },
          });
    const stopReplies =
      fanOutMode !== 'perMessage'
        ? () => {}
        : liveSubscription(client, {
            query: ON_REPLY,
            variables: { roomId },
            onData: (data) => {
              const reply = data.onReply;
              if (reply) {
                receiveReply(reply);
              }
            },
            onState: (state, detail) => {
              repliesState = state;
              report(detail);
            },
          });
    // Moderation: deletions leave every open page. (A deletion missed while this
    // subscription was down stays shown until the next load; getMessages no longer lists it.)
    const stopRoomEvents =
      fanOutMode === 'events'
        ? () => {}
        : liveSubscription(client, {
            query: ON_ROOM_EVENT,
            variables: { roomId },
            onSubscribed: readSettings,
            onData: (data) => onRoomEvent(data.onRoomEvent),
            onState: (state, detail) => {
              roomEventsState = state;
              report(detail);
            },
          });
    return () => {
      stopMessages();
      stopReplies();
      stopRoomEvents();
    };
  }, [client, events, roomId, fanOutMode, fetchPage, update, receiveReply, removeDeleted, setSettings]);

  const loadOlder = useCallback(async () => {
    const current = feedRef.current;
    if (!current.hasOlder || loadingOlder) {
      return;
    }
    setLoadingOlder(true);
    try {
      if (!current.reseek) {
        const page = await fetchPage(current.olderToken, PAGE_SIZE);
        update((f) => addOlderPage(f, page.items, page.nextToken));
        return;
      }
      // Held messages were trimmed: walk down from the newest page to the first page that
      // reaches below the oldest held message, and continue paging from there.
      const oldestHeld = current.messages[0]?.messageId ?? '';
      let token: string | null = null;
      for (;;) {
        const page = await fetchPage(token, GAP_PAGE_SIZE);
        if (page.items.some((m) => m.messageId < oldestHeld) || page.nextToken === null) {
          update((f) => addOlderPage(f, page.items, page.nextToken));
          return;
        }
        token = page.nextToken;
      }
    } finally {
      setLoadingOlder(false);
    }
  }, [fetchPage, loadingOlder, update]);

  const addOwn = useCallback((message: Message) => update((f) => addLive(f, [message])), [update]);

  const onReply = useCallback((listener: ReplyListener) => {
    replyListeners.current.add(listener);
    return () => {
      replyListeners.current.delete(listener);
    };
  }, []);

  return {
    messages: feed.messages,
    hasOlder: feed.hasOlder,
    loadingOlder,
    loadOlder,
    addOwn,
    addOwnReply: receiveReply,
    removeDeleted,
    connection,
    onReply,
    settings,
    setSettings,
  };
}
