import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

import { authorName, type Message } from '../data/operations';
import { useModerationLog } from '../data/useModerationLog';
import { i18nKey } from '../i18n';
import { formatTime } from './MessageItem';

const ACTIONS: Record<string, string> = {
  deleteMessage: i18nKey('deleted a message'),
  banUser: i18nKey('banned'),
  unbanUser: i18nKey('lifted the ban on'),
  updateRoomSettings: i18nKey('changed the room settings'),
};

interface ModerationLogPanelProps {
  roomId: string;
  /** Bumped after each action: the log is read again. */
  refresh: number;
  onUnban: (userId: string, name: string) => void;
  onClose: () => void;
  /** The messages the page holds: the log names people by them (else by their id). */
  messages: Message[];
  /** The moderator looking at the log. */
  self: { userId: string; username: string };
}

/** Moderators: what was done in the room, newest first, with "Unban" where a ban still holds. */
export function ModerationLogPanel({ roomId, refresh, onUnban, onClose, messages, self }: ModerationLogPanelProps) {
  const { t } = useTranslation();
  const log = useModerationLog(roomId, refresh);
  // Built here, while the log is open, not on every message the room receives.
  const names = useMemo(() => {
    const known = new Map<string, string>();
    for (const message of messages) {
      known.set(message.sender, authorName(message));
    }
    known.set(self.userId, self.username);
    return known;
  }, [messages, self.userId, self.username]);
  const nameOf = (id: string) => names.get(id) ?? id;
  return (
    <section className="sender-panel" aria-label={t('Moderation log')}>
      <header>
        <h2>{t('Moderation log')}</h2>
        <button type="button" className="link" onClick={onClose}>
          {t('Close')}
        </button>
      </header>
      {log.error && (
        <p role="alert" className="error">
          {log.error}
        </p>
      )}
      <ol aria-busy={log.loading}>
        {log.events.map((event) => (
          <li key={event.eventId}>
            <time dateTime={event.createdAt}>{formatTime(event.createdAt)}</time> {nameOf(event.actor)}{' '}
            {ACTIONS[event.action] ? t(ACTIONS[event.action]) : event.action}
            {(event.action === 'banUser' || event.action === 'unbanUser') && event.target ? ` ${nameOf(event.target)}` : ''}
            {event.reason ? ` (${event.reason})` : ''}
            {event.action === 'banUser' && event.target && log.activeBans.has(event.eventId) && (
              <>
                {' '}
                <button type="button" className="link" onClick={() => onUnban(event.target as string, nameOf(event.target as string))}>
                  {t('Unban')}
                </button>
              </>
            )}
          </li>
        ))}
      </ol>
      {!log.loading && !log.error && log.events.length === 0 && <p>{t('Nothing yet.')}</p>}
    </section>
  );
}
