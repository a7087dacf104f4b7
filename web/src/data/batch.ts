// A batched room's delivery (schema: MessageBatch) is packed so that the text is most of its
// bytes; this expands it into the Message and Reply objects the rest of the client uses.
import type { Message, Reply } from './operations';
import type { OnMessageBatchResult } from './generated';

export type MessageBatch = NonNullable<OnMessageBatchResult['onMessageBatch']>;

const ULID_DIGITS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** createdAt of a message or reply: its id is a ULID whose first ten characters are that time
 * (milliseconds since 1970, Crockford base 32); the resolvers write createdAt from the id, as
 * AppSync formats it (Java's ISO instant: no fraction when the milliseconds are 0). */
export function ulidTime(id: string): string {
  let ms = 0;
  for (const digit of id.slice(0, 10).toUpperCase()) {
    const value = ULID_DIGITS.indexOf(digit);
    if (value < 0) {
      throw new Error(`not a ULID: ${id}`);
    }
    ms = ms * 32 + value;
  }
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export function expandBatch(batch: MessageBatch): { messages: Message[]; replies: Reply[] } {
  const sender = (index: number) => {
    const found = batch.senders[index];
    return { sender: found?.id ?? '', senderName: found?.name ?? null };
  };
  return {
    messages: batch.messages.map((m) => ({
      roomId: batch.roomId,
      messageId: m.i,
      ...sender(m.s),
      message: m.x,
      createdAt: ulidTime(m.i),
      repliedAt: null,
      replyCount: 0,
    })),
    replies: batch.replies.map((r) => ({
      roomId: batch.roomId,
      messageId: r.p,
      replyId: r.i,
      ...sender(r.s),
      message: r.x,
      createdAt: ulidTime(r.i),
    })),
  };
}
