import { useTranslation } from 'react-i18next';

import { explainRefusalDetail } from '../data/errors';

/** Shown instead of the composer when the room refused this user for good (a ban, an invalid room). */
export function RoomRefusal({ detail }: { detail?: string }) {
  const { t } = useTranslation();
  const refusal = explainRefusalDetail(detail);
  return (
    <section className="refusal" role="alert" aria-labelledby="refusal-title">
      <h2 id="refusal-title">{refusal.what}</h2>
      <p>{refusal.next}</p>
      <p>
        <a href="?room=lobby">{t('Go to the lobby')}</a>
      </p>
    </section>
  );
}
