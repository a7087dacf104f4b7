import { memo } from 'react';
import { useTranslation } from 'react-i18next';

import i18n from '../i18n';

import { authorName, type Message } from '../data/operations';
import { LinkedText } from './LinkedText';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : timeFormat.format(date);
}

export function replyLabel(count: number): string {
  if (!count) {
    return i18n.t('Reply');
  }
  return count === 1 ? i18n.t('Reply (1 reply)') : i18n.t('Reply ({{count}} replies)', { count });
}

interface MessageItemProps {
  message: Message;
  /** The signed-in user's own message (marked). */
  own?: boolean;
  onOpenThread: (message: Message) => void;
  /** Moderators only: show the sender's messages across rooms. */
  onShowSender?: (message: Message) => void;
  /** Moderators only: delete the message. */
  onDelete?: (message: Message) => void;
  /** Moderators only: ban (or time out) the sender in this room. */
  onBan?: (message: Message) => void;
  /** Moderators only: pin the message for everyone. */
  onPin?: (message: Message) => void;
  threadOpen: boolean;
}

export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { message, own = false, onOpenThread, onShowSender, onDelete, onBan, onPin, threadOpen } = props;
  const { t } = useTranslation();
  return (
    <article className={own ? 'message own' : 'message'} data-message-id={message.messageId}>
      <header>
        <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>{' '}
        <span className="sender">{authorName(message)}</span>
        {own && <span className="you"> {t('(you)')}</span>}
      </header>
      <p className="text">
        <span className="body">
          <LinkedText text={message.message} />
        </span>
        {message.replyCount > 0 && (
          <span className="reply-count" aria-hidden="true">
            {' '}
            {message.replyCount === 1 ? t('1 reply') : t('{{count}} replies', { count: message.replyCount })}
          </span>
        )}
      </p>
      <footer className="actions">
        <button type="button" className="link reply" aria-expanded={threadOpen} onClick={() => onOpenThread(message)}>
          {replyLabel(message.replyCount)}
        </button>
        {onShowSender && (
          <button type="button" className="link" onClick={() => onShowSender(message)}>
            {t('Messages by {{name}}', { name: authorName(message) })}
          </button>
        )}
        {onPin && (
          <button type="button" className="link" onClick={() => onPin(message)}>
            {t('Pin message')}
          </button>
        )}
        {onDelete && (
          <button type="button" className="link danger" onClick={() => onDelete(message)}>
            {t('Delete message')}
          </button>
        )}
        {onBan && (
          <button type="button" className="link danger" onClick={() => onBan(message)}>
            {t('Ban {{name}}', { name: authorName(message) })}
          </button>
        )}
      </footer>
    </article>
  );
});
