import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';

import type { Message } from '../data/operations';
import { PAGE_SIZE } from '../data/useRoom';
import { MessageItem } from './MessageItem';

/** Messages in the DOM while the reader follows the newest: the list stays this size at any rate. */
export const FOLLOWING_WINDOW = 100;
const BOTTOM_SLACK_PX = 48;

interface MessageListProps {
  messages: Message[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => Promise<void>;
  openThreadId: string | null;
  onOpenThread: (message: Message) => void;
  onShowSender?: (message: Message) => void;
  onDelete?: (message: Message) => void;
  onBan?: (message: Message) => void;
}

/**
 * The room's messages, newest at the bottom. While the reader is at the bottom only the
 * newest FOLLOWING_WINDOW are rendered (and the view sticks to the bottom); once they
 * scroll up or load earlier messages, the window's start stays put so what they read does
 * not move, until they return to the bottom.
 */
export function MessageList(props: MessageListProps) {
  const { messages, hasOlder, loadingOlder, onLoadOlder, openThreadId, onOpenThread, onShowSender, onDelete, onBan } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  // null: follow the newest; otherwise the messageId the rendered window starts at ('' = all held).
  const [windowStart, setWindowStart] = useState<string | null>(null);

  const firstRendered = useMemo(() => {
    if (windowStart === null) {
      return Math.max(0, messages.length - FOLLOWING_WINDOW);
    }
    const index = messages.findIndex((m) => m.messageId >= windowStart);
    return index < 0 ? messages.length : index;
  }, [messages, windowStart]);
  const rendered = useMemo(() => messages.slice(firstRendered), [messages, firstRendered]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && following.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [rendered]);

  const onScroll = useCallback(() => {
    const element = scroller.current;
    if (!element) {
      return;
    }
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < BOTTOM_SLACK_PX;
    following.current = atBottom;
    if (atBottom && windowStart !== null) {
      setWindowStart(null);
    } else if (!atBottom && windowStart === null && rendered.length) {
      setWindowStart(rendered[0].messageId);
    }
  }, [rendered, windowStart]);

  const loadEarlier = useCallback(async () => {
    following.current = false;
    if (firstRendered > 0) {
      setWindowStart(messages[Math.max(0, firstRendered - PAGE_SIZE)].messageId);
      return;
    }
    setWindowStart('');
    await onLoadOlder();
  }, [firstRendered, messages, onLoadOlder]);

  return (
    <div className="scroller" ref={scroller} onScroll={onScroll}>
      {(firstRendered > 0 || hasOlder) && (
        <button type="button" className="load-earlier" onClick={loadEarlier} disabled={loadingOlder} aria-busy={loadingOlder}>
          Load earlier messages
        </button>
      )}
      <div role="log" aria-label="Messages" className="messages">
        {rendered.map((message) => (
          <MessageItem
            key={message.messageId}
            message={message}
            threadOpen={message.messageId === openThreadId}
            onOpenThread={onOpenThread}
            onShowSender={onShowSender}
            onDelete={onDelete}
            onBan={onBan}
          />
        ))}
      </div>
      {messages.length === 0 && <p className="empty">No messages yet. Say hello!</p>}
    </div>
  );
}
