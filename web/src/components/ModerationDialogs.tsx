import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { authorName, type Message, type RoomSettings } from '../data/operations';
import { BAN_DURATIONS, type BanDuration } from '../data/useModeration';
import { Dialog } from './Dialog';

interface ConfirmDeleteProps {
  message: Message;
  onConfirm: () => void;
  onClose: () => void;
}

/** "Delete message?": nothing is deleted without a second, deliberate click. */
export function ConfirmDelete({ message, onConfirm, onClose }: ConfirmDeleteProps) {
  const { t } = useTranslation();
  return (
    <Dialog title={t('Delete message?')} onClose={onClose}>
      <blockquote className="quoted">
        <strong>{authorName(message)}</strong>: {message.message}
      </blockquote>
      <p>{t('Everyone in the room stops seeing it at once. This cannot be undone.')}</p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('Cancel')}
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          {t('Delete')}
        </button>
      </div>
    </Dialog>
  );
}

interface BanDialogProps {
  message: Message;
  onBan: (duration: BanDuration, reason: string) => void;
  onClose: () => void;
}

/** Ban or time out a message's sender: a length (10 minutes unless chosen otherwise) and a reason. */
export function BanDialog({ message, onBan, onClose }: BanDialogProps) {
  const { t } = useTranslation();
  const [duration, setDuration] = useState<BanDuration>(BAN_DURATIONS[0].seconds);
  const [reason, setReason] = useState('');
  const name = authorName(message);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onBan(duration, reason);
  };
  return (
    <Dialog title={t('Ban {{name}}', { name })} onClose={onClose}>
      <form onSubmit={submit}>
        <fieldset>
          <legend>{t('How long')}</legend>
          {BAN_DURATIONS.map((choice) => (
            <label key={choice.label} className="choice">
              <input
                type="radio"
                name="ban-length"
                checked={duration === choice.seconds}
                onChange={() => setDuration(choice.seconds)}
              />{' '}
              {t(choice.label)}
            </label>
          ))}
        </fieldset>
        <label className="field">
          {t('Reason')}
          <input type="text" value={reason} maxLength={500} onChange={(event) => setReason(event.target.value)} />
        </label>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {t('Cancel')}
          </button>
          <button type="submit" className="danger">
            {t('Ban')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

interface RoomSettingsDialogProps {
  settings: RoomSettings | null;
  onSave: (slowModeSeconds: number, blockedTerms: string[]) => Promise<boolean>;
  onClose: () => void;
}

/** Slow mode and blocked terms (one per line); saved together, closed once saved. */
export function RoomSettingsDialog({ settings, onSave, onClose }: RoomSettingsDialogProps) {
  const { t } = useTranslation();
  const [slowMode, setSlowMode] = useState(String(settings?.slowModeSeconds ?? 0));
  const [terms, setTerms] = useState((settings?.blockedTerms ?? []).join('\n'));
  const [saving, setSaving] = useState(false);
  const hintId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    const blocked = terms
      .split('\n')
      .map((term) => term.trim())
      .filter(Boolean);
    const saved = await onSave(Math.max(0, Math.floor(Number(slowMode) || 0)), blocked);
    setSaving(false);
    if (saved) {
      onClose();
    }
  };
  return (
    <Dialog title={t('Room settings')} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <label className="field">
          {t('Slow mode (seconds)')}
          <input
            type="number"
            min={0}
            max={3600}
            step={1}
            value={slowMode}
            aria-describedby={hintId}
            onChange={(event) => setSlowMode(event.target.value)}
          />
        </label>
        <p id={hintId} className="hint">
          {t('0 turns slow mode off. Otherwise each attendee may post once per this many seconds.')}
        </p>
        <label className="field">
          {t('Blocked terms')}
          <textarea rows={5} value={terms} onChange={(event) => setTerms(event.target.value)} />
        </label>
        <p className="hint">{t('One per line. Messages containing one are refused.')}</p>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {t('Cancel')}
          </button>
          <button type="submit" disabled={saving} aria-busy={saving}>
            {t('Save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
