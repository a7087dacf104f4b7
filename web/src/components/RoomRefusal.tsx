import { useTranslation } from 'react-i18next';

import { useEffect } from 'react';

import { explainRefusalDetail, refusalEndsAt } from '../data/errors';

/** Shown instead of the composer when the room refused this user for good (a ban, an invalid room). */
export function RoomRefusal({ detail }: { detail?: string }) {
  const { t } = useTranslation();
  const refusal = explainRefusalDetail(detail);
  const endsAt = refusalEndsAt(detail);

  // A timeout ends by itself: the room is joined again then (the draft is kept in the session).
  useEffect(() => {
    if (endsAt === null) {
      return undefined;
    }
    const timer = setTimeout(() => window.location.reload(), Math.max(0, endsAt - Date.now()) + 1000);
    return () => clearTimeout(timer);
  }, [endsAt]);
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
