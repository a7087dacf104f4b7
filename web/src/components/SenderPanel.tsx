import { useTranslation } from 'react-i18next';

import { useSenderMessages } from '../data/useSenderMessages';
import { formatTime } from './MessageItem';

interface SenderPanelProps {
  /** The sender's stable id (getMessagesBySender's argument). */
  sender: string;
  /** How the page names them. */
  name: string;
  onClose: () => void;
}

/** Moderators: one sender's messages in every room, newest first. */
export function SenderPanel({ sender, name, onClose }: SenderPanelProps) {
  const { t } = useTranslation();
  const { messages, hasMore, loading, error, loadMore } = useSenderMessages(sender);
  return (
    <section className="sender-panel" aria-label={t('Messages by {{name}}', { name })}>
      <header>
        <h2>{t('Messages by {{name}}', { name })}</h2>
        <button type="button" className="link" onClick={onClose}>
          {t('Close')}
        </button>
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      <ol aria-busy={loading}>
        {messages.map((m) => (
          <li key={`${m.roomId}/${m.messageId}`}>
            <span className="room">#{m.roomId}</span> <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
            <p className="text">{m.message}</p>
          </li>
        ))}
      </ol>
      {!loading && !error && messages.length === 0 && <p>{t('No messages.')}</p>}
      {hasMore && (
        <button type="button" className="link" onClick={() => void loadMore()} disabled={loading}>
          {t('Load more')}
        </button>
      )}
    </section>
  );
}
