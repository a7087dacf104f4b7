import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

import { authorName, type Message } from '../data/operations';
import type { Room } from '../data/useRoom';
import { useSendReply } from '../data/useSend';
import { useThread } from '../data/useThread';
import { Composer } from './Composer';
import { formatTime } from './MessageItem';

interface ThreadPanelProps {
  room: Room;
  roomId: string;
  parent: Message;
  onClose: () => void;
}

/** A message's replies, oldest first, with a reply box. Escape closes it. */
export function ThreadPanel({ room, roomId, parent, onClose }: ThreadPanelProps) {
  const { t } = useTranslation();
  const thread = useThread(room, roomId, parent.messageId);
  const sender = useSendReply(room, roomId, parent.messageId);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === 'Escape') {
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <section className="thread" aria-label={t('Thread')}>
      <header>
        <h2>{t('Thread')}</h2>
        <button type="button" className="link" onClick={onClose}>
          {t('Close thread')}
        </button>
      </header>
      <blockquote className="parent">
        <span className="sender">{authorName(parent)}</span> <time dateTime={parent.createdAt}>{formatTime(parent.createdAt)}</time>
        <p className="text">{parent.message}</p>
      </blockquote>
      <ol className="replies" aria-label={t('Replies')} aria-busy={thread.loading}>
        {thread.replies.map((reply) => (
          <li key={reply.replyId}>
            <span className="sender">{authorName(reply)}</span>{' '}
            <time dateTime={reply.createdAt}>{formatTime(reply.createdAt)}</time>
            <p className="text">{reply.message}</p>
          </li>
        ))}
      </ol>
      {thread.error && <p role="alert" className="error">{thread.error}</p>}
      {thread.hasMore && (
        <button type="button" className="link" onClick={() => void thread.loadMore()} disabled={thread.loading}>
          {t('Load more replies')}
        </button>
      )}
      <Composer sender={sender} label={t('Reply')} action={t('Send reply')} focusOnMount draftKey={`chatstack:draft:${roomId}:${parent.messageId}`} />
    </section>
  );
}
