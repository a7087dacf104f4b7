import { forwardRef, useCallback, useEffect, useMemo, useRef, useState, type HTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';

import type { Message } from '../data/operations';
import { MessageItem } from './MessageItem';

// Virtuoso's item indexes only ever decrease as earlier messages are prepended: start high.
const FIRST_INDEX = 100_000;
// Within this many pixels of the end counts as the bottom.
const BOTTOM_SLACK_PX = 48;

interface MessageListProps {
  messages: Message[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => Promise<void>;
  openThreadId: string | null;
  onOpenThread: (message: Message) => void;
  /** The signed-in user's id (token sub): their own messages are marked. */
  ownSender?: string;
  onShowSender?: (message: Message) => void;
  onDelete?: (message: Message) => void;
  onBan?: (message: Message) => void;
  onPin?: (message: Message) => void;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full' });

function day(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toDateString();
}

interface ListContext {
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => Promise<void>;
}

/** Above the oldest message held: the way to earlier ones. */
function LoadEarlier({ context }: { context?: ListContext }) {
  const { t } = useTranslation();
  if (!context?.hasOlder) {
    // As tall as the button it replaces: what the reader sees does not move when it goes.
    return <p className="load-earlier start-of-room">{t('This is the start of the room.')}</p>;
  }
  return (
    <button
      type="button"
      className="load-earlier"
      onClick={() => void context.onLoadOlder()}
      disabled={context.loadingOlder}
      aria-busy={context.loadingOlder}
    >
      {t('Load earlier messages')}
    </button>
  );
}

/** The list element Virtuoso renders items into: the room's log, by its accessible name. */
const Log = forwardRef<HTMLDivElement, HTMLAttributes<HTMLDivElement>>(function Log(props, ref) {
  return <div {...props} ref={ref} role="log" aria-label="Messages" className="messages" />;
});

const COMPONENTS = { List: Log, Header: LoadEarlier };
const START_AT_NEWEST = { index: 'LAST', align: 'end' } as const;

/**
 * The room's messages, newest at the bottom, virtualised (react-virtuoso): only what is on
 * screen is in the DOM, however many are held. At the bottom it follows new messages; scrolled
 * up it stays put (new messages and earlier pages alike) and offers "Jump to new messages".
 */
export function MessageList(props: MessageListProps) {
  const { messages, hasOlder, loadingOlder, onLoadOlder, openThreadId, onOpenThread, ownSender, onShowSender, onDelete, onBan, onPin } =
    props;
  const { t } = useTranslation();
  const virtuoso = useRef<VirtuosoHandle>(null);
  const [atBottom, setAtBottom] = useState(true);
  // The newest message the reader had seen when they left the bottom (null: at the bottom).
  const [lastSeen, setLastSeen] = useState<string | null>(null);

  // Earlier pages are prepended: the first item's index goes down by as many, so Virtuoso keeps
  // what is on screen where it is (state derived from the list, updated during render).
  const firstId = messages[0]?.messageId ?? null;
  const [origin, setOrigin] = useState({ firstId, firstIndex: FIRST_INDEX });
  let firstItemIndex = origin.firstIndex;
  if (firstId !== origin.firstId) {
    const previousFirst = origin.firstId === null ? -1 : messages.findIndex((m) => m.messageId === origin.firstId);
    firstItemIndex = previousFirst > 0 ? origin.firstIndex - previousFirst : origin.firstIndex;
    setOrigin({ firstId, firstIndex: firstItemIndex });
  }

  // Following the newest is the reader's choice, not a measurement: at a burst the list grows
  // faster than it scrolls, and "not at the bottom" for a moment must not stop it following.
  // Only the reader moving up (wheel, keys, touch, scrollbar: scrollTop going down) stops it;
  // reaching the bottom again resumes it.
  const following = useRef(true);
  const lastTop = useRef(0);
  const newest = messages[messages.length - 1]?.messageId ?? '';
  const newestRef = useRef(newest);
  useEffect(() => {
    newestRef.current = newest;
  }, [newest]);

  const onBottomChange = useCallback((bottom: boolean) => {
    if (bottom) {
      following.current = true;
      setAtBottom(true);
      setLastSeen(null);
    }
  }, []);

  const scrollerRef = useCallback((element: HTMLElement | Window | null) => {
    if (!(element instanceof HTMLElement)) {
      return;
    }
    lastTop.current = element.scrollTop;
    element.addEventListener(
      'scroll',
      () => {
        const top = element.scrollTop;
        const nearBottom = element.scrollHeight - top - element.clientHeight < BOTTOM_SLACK_PX;
        // Moved up and no longer at the bottom (a deletion above shrinks the list, not a choice).
        if (top < lastTop.current - 24 && following.current && !nearBottom) {
          following.current = false;
          setAtBottom(false);
          setLastSeen(newestRef.current);
        }
        lastTop.current = top;
      },
      { passive: true },
    );
  }, []);

  const follow = useCallback(() => (following.current ? 'auto' : false), []);

  const unseen = useMemo(() => {
    if (atBottom || lastSeen === null) {
      return 0;
    }
    let count = 0;
    for (let i = messages.length - 1; i >= 0 && messages[i].messageId > lastSeen; i--) {
      count++;
    }
    return count;
  }, [atBottom, lastSeen, messages]);

  const jumpToNew = useCallback(() => {
    virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end' });
  }, []);

  const context = useMemo<ListContext>(() => ({ hasOlder, loadingOlder, onLoadOlder }), [hasOlder, loadingOlder, onLoadOlder]);

  const itemContent = useCallback(
    (index: number, message: Message) => {
      const position = index - firstItemIndex;
      const previous = position > 0 ? messages[position - 1] : undefined;
      const newDay = !previous || day(previous.createdAt) !== day(message.createdAt);
      return (
        <>
          {newDay && message.createdAt && (
            <p className="day-separator" role="separator" aria-label={dayFormat.format(new Date(message.createdAt))}>
              <span>{dayFormat.format(new Date(message.createdAt))}</span>
            </p>
          )}
          <MessageItem
            message={message}
            own={ownSender !== undefined && message.sender === ownSender}
            threadOpen={message.messageId === openThreadId}
            onOpenThread={onOpenThread}
            onShowSender={onShowSender}
            onDelete={onDelete}
            onBan={onBan}
            onPin={onPin}
          />
        </>
      );
    },
    [firstItemIndex, messages, ownSender, openThreadId, onOpenThread, onShowSender, onDelete, onBan, onPin],
  );

  if (messages.length === 0) {
    return (
      <div className="scroller">
        <LoadEarlier context={context} />
        <div role="log" aria-label="Messages" className="messages" />
        <p className="empty">{t('No messages yet. Say hello!')}</p>
      </div>
    );
  }
  return (
    <div className="feed">
      <Virtuoso
        ref={virtuoso}
        className="scroller"
        data={messages}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={START_AT_NEWEST}
        computeItemKey={(_, message) => message.messageId}
        followOutput={follow}
        scrollerRef={scrollerRef}
        atBottomStateChange={onBottomChange}
        atBottomThreshold={BOTTOM_SLACK_PX}
        increaseViewportBy={{ top: 400, bottom: 200 }}
        context={context}
        components={COMPONENTS}
        itemContent={itemContent}
      />
      {unseen > 0 && (
        <button type="button" className="jump" onClick={jumpToNew}>
          {t('Jump to new messages ({{count}})', { count: unseen })}
        </button>
      )}
    </div>
  );
}
