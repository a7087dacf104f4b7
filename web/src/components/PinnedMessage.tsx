import { useTranslation } from 'react-i18next';

import type { PinnedMessage as Pinned } from '../data/operations';
import { LinkedText } from './LinkedText';
import { formatTime } from './MessageItem';

interface PinnedMessageProps {
  pinned: Pinned;
  /** Moderators only. */
  onUnpin?: () => void;
}

/** The room's pinned message, above the feed for everyone, live as moderators change it. */
export function PinnedMessage({ pinned, onUnpin }: PinnedMessageProps) {
  const { t } = useTranslation();
  return (
    <section className="pinned" aria-label={t('Pinned message')}>
      <p>
        <span className="pin-label">{t('Pinned')}</span> <strong>{pinned.senderName || pinned.sender}</strong>{' '}
        <time dateTime={pinned.createdAt}>{formatTime(pinned.createdAt)}</time>
      </p>
      <p className="text">
        <LinkedText text={pinned.message} />
      </p>
      {onUnpin && (
        <button type="button" className="link" onClick={onUnpin}>
          {t('Unpin')}
        </button>
      )}
    </section>
  );
}
