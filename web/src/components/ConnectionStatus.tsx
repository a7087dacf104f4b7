import { useTranslation } from 'react-i18next';

import type { RoomConnection } from '../data/useRoom';
import { i18nKey } from '../i18n';

const LABELS = {
  connecting: i18nKey('Connecting…'),
  live: i18nKey('Live'),
  reconnecting: i18nKey('Reconnecting…'),
  refused: i18nKey('Not joined'),
} as const;

/** The room's subscription state; its text is exactly "Live" while subscribed. */
export function ConnectionStatus({ connection }: { connection: RoomConnection }) {
  const { t } = useTranslation();
  return (
    <p role="status" className={`connection connection-${connection.state}`} title={connection.detail}>
      {t(LABELS[connection.state])}
    </p>
  );
}
