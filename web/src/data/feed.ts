// A room's messages as the client holds them: ascending by messageId (ULIDs, the order of
// the room's sort key), never two with one messageId, at most MAX_KEPT of them. Pure
// functions, so the merge rules are the same for history pages, live messages, batches and
// the gap fill after a reconnect.
import type { Message, Reply } from './operations';

/** Messages kept in memory per room (the list is virtualised: holding them costs memory, a few
 * MB, not rendering); older ones are fetched again on "Load earlier messages". */
export const MAX_KEPT = 10_000;

const MAX_COUNTED_REPLIES = 5000;

export interface Feed {
  messages: Message[];
  /** getMessages nextToken of the next older page; null when none is known. */
  olderToken: string | null;
  /** Whether the server may hold messages older than messages[0]. */
  hasOlder: boolean;
  /**
   * Older messages were dropped to stay within MAX_KEPT, so olderToken no longer starts
   * right before messages[0]: the next "load earlier" walks from the newest page down.
   */
  reseek: boolean;
  /** replyIds already counted into their message's replyCount. */
  countedReplies: Set<string>;
}

export const EMPTY_FEED: Feed = {
  messages: [],
  olderToken: null,
  hasOlder: false,
  reseek: false,
  countedReplies: new Set(),
};

function newer(a: Message, b: Message): Message {
  // Two copies of one message (history and live): keep the one that has seen more replies.
  return (b.replyCount ?? 0) > (a.replyCount ?? 0) ? b : a;
}

/** existing ∪ incoming, ascending by messageId, one per messageId. Keeps unchanged objects. */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) {
    return existing;
  }
  const last = existing.length ? existing[existing.length - 1].messageId : '';
  const sorted = [...incoming].sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
  // The common live case: everything is newer than what is held.
  if (sorted[0].messageId > last) {
    const out = existing.slice();
    for (const message of sorted) {
      const previous = out[out.length - 1];
      if (previous && previous.messageId === message.messageId) {
        out[out.length - 1] = newer(previous, message);
      } else {
        out.push(message);
      }
    }
    return out;
  }
  const byId = new Map<string, Message>();
  for (const message of existing) {
    byId.set(message.messageId, message);
  }
  let changed = false;
  for (const message of sorted) {
    const held = byId.get(message.messageId);
    const kept = held ? newer(held, message) : message;
    if (kept !== held) {
      byId.set(message.messageId, kept);
      changed = true;
    }
  }
  if (!changed) {
    return existing;
  }
  return [...byId.values()].sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
}

function trimmed(feed: Feed, messages: Message[]): Feed {
  if (messages.length <= MAX_KEPT) {
    return { ...feed, messages };
  }
  return { ...feed, messages: messages.slice(messages.length - MAX_KEPT), olderToken: null, hasOlder: true, reseek: true };
}

/** New live messages (onSendMessage, a batch, or the sender's own mutation result). */
export function addLive(feed: Feed, messages: Message[]): Feed {
  const merged = mergeMessages(feed.messages, messages);
  return merged === feed.messages ? feed : trimmed(feed, merged);
}

/** The newest page, on first load (sets the paging token). */
export function addLatestPage(feed: Feed, items: Message[], nextToken: string | null): Feed {
  const merged = mergeMessages(feed.messages, items);
  if (feed.messages.length === 0) {
    return trimmed({ ...feed, olderToken: nextToken, hasOlder: nextToken !== null, reseek: false }, merged);
  }
  return trimmed(feed, merged);
}

/**
 * The pages fetched after a reconnect, newest first. If they reach back to what is held,
 * the gap is filled; if not, more was missed than the pages hold, and the feed restarts
 * from them (paging older continues from their last token).
 */
export function fillGap(feed: Feed, pages: Message[], nextToken: string | null, overlapped: boolean): Feed {
  if (overlapped || feed.messages.length === 0) {
    return feed.messages.length === 0 ? addLatestPage(feed, pages, nextToken) : addLive(feed, pages);
  }
  return trimmed(
    { ...feed, olderToken: nextToken, hasOlder: nextToken !== null, reseek: false },
    mergeMessages([], pages),
  );
}

/** An older page ("Load earlier messages"). */
export function addOlderPage(feed: Feed, items: Message[], nextToken: string | null): Feed {
  return {
    ...feed,
    messages: mergeMessages(feed.messages, items),
    olderToken: nextToken,
    hasOlder: nextToken !== null,
    reseek: false,
  };
}

/**
 * A live reply: its parent's replyCount goes up once. A parent fetched after the reply was
 * written already counts it (its repliedAt is at or after the reply's createdAt).
 */
export function countReply(feed: Feed, reply: Reply): Feed {
  if (feed.countedReplies.has(reply.replyId)) {
    return feed;
  }
  // Bounded: a long event's reply ids are forgotten in bulk (a forgotten reply arriving again
  // is then caught by the repliedAt check).
  const countedReplies = new Set(feed.countedReplies.size < MAX_COUNTED_REPLIES ? feed.countedReplies : []);
  countedReplies.add(reply.replyId);
  const index = feed.messages.findIndex((m) => m.messageId === reply.messageId);
  if (index < 0) {
    return { ...feed, countedReplies };
  }
  const parent = feed.messages[index];
  if (parent.repliedAt && reply.createdAt && reply.createdAt <= parent.repliedAt) {
    return { ...feed, countedReplies };
  }
  const messages = feed.messages.slice();
  messages[index] = { ...parent, replyCount: (parent.replyCount ?? 0) + 1, repliedAt: reply.createdAt ?? parent.repliedAt };
  return { ...feed, messages, countedReplies };
}

/** A moderator deleted a message (onRoomEvent, or the moderator's own mutation result). */
export function removeMessage(feed: Feed, messageId: string): Feed {
  const index = feed.messages.findIndex((m) => m.messageId === messageId);
  if (index < 0) {
    return feed;
  }
  return { ...feed, messages: [...feed.messages.slice(0, index), ...feed.messages.slice(index + 1)] };
}
