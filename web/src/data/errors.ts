// What the page says when a request fails: AppSync's errorType and message (e.g.
// "ValidationError: message must be 1-2,000 characters"), or the network failure.
import { CombinedGraphQLErrors } from '@apollo/client/errors';

import i18n from '../i18n';

interface AppSyncError {
  message?: string;
  errorType?: string;
  errorInfo?: { retryAfterSeconds?: number; retryAt?: string } | null;
}

/** When a refused send may be tried again (epoch ms): slow mode's retryAt, a timeout's end. */
export function retryAt(error: unknown): number | null {
  if (!CombinedGraphQLErrors.is(error)) {
    return null;
  }
  const first = error.errors[0] as AppSyncError | undefined;
  if (first?.errorType === 'SlowMode') {
    const at = first.errorInfo?.retryAt ? Date.parse(first.errorInfo.retryAt) : NaN;
    const seconds = first.errorInfo?.retryAfterSeconds;
    return Number.isFinite(at) ? at : typeof seconds === 'number' ? Date.now() + seconds * 1000 : null;
  }
  return banEndsAt(first?.errorType, first?.message ?? '');
}

/** A timeout's end (epoch ms) from a Forbidden refusal's message ("... until <ISO time>"), or null. */
function banEndsAt(errorType: string | undefined, message: string): number | null {
  const banned = errorType === 'Forbidden' ? BANNED.exec(message) : null;
  const at = banned?.[1] ? Date.parse(banned[1]) : NaN;
  return Number.isFinite(at) ? at : null;
}

/** A subscription's refusal detail, "Type: message" (liveSubscription), as its two parts. */
function splitDetail(detail: string | undefined): [string, string] {
  const [type, ...rest] = (detail ?? '').split(': ');
  return [type, rest.join(': ')];
}

export function errorText(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0] as AppSyncError | undefined;
    if (first?.message) {
      const refusal = explainRefusal(first.errorType, first.message);
      if (refusal) {
        return `${refusal.what} ${refusal.next}`;
      }
      return first.errorType ? `${first.errorType}: ${first.message}` : first.message;
    }
  }
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** A refusal in the attendee's words: what happened, and what they can do. */
export interface Refusal {
  what: string;
  next: string;
}

const BANNED = /^you are banned from room \S+(?: until (\S+))?$/;

function localTime(iso: string): string {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) {
    return iso;
  }
  const sameDay = when.toDateString() === new Date().toDateString();
  return when.toLocaleString(i18n.language, sameDay ? { timeStyle: 'short' } : { dateStyle: 'medium', timeStyle: 'short' });
}

/** The words for a refusal AppSync sent (errorType, message), or null for other errors. */
export function explainRefusal(errorType: string | undefined, message: string): Refusal | null {
  const banned = errorType === 'Forbidden' ? BANNED.exec(message) : null;
  if (banned) {
    return {
      what: banned[1]
        ? i18n.t('A moderator has banned you from this room until {{time}}.', { time: localTime(banned[1]) })
        : i18n.t('A moderator has banned you from this room.'),
      next: banned[1]
        ? i18n.t('You can read other rooms meanwhile; come back after that time.')
        : i18n.t('You can still join other rooms. If you think this is a mistake, contact the event team.'),
    };
  }
  if (errorType === 'Blocked') {
    return {
      what: i18n.t('Your message contains a term this room does not allow.'),
      next: i18n.t('Change it and send again.'),
    };
  }
  if (errorType === 'SlowMode') {
    const every = /one message per (\d+) s/.exec(message);
    return {
      what: every
        ? i18n.t('Slow mode is on: one message every {{seconds}} seconds.', { seconds: every[1] })
        : i18n.t('Slow mode is on.'),
      next: i18n.t('Your message is kept; send it when the button says so.'),
    };
  }
  if (errorType === 'ValidationError' && /roomId/i.test(message)) {
    return {
      what: i18n.t('This room does not exist: its name in the link is not valid.'),
      next: i18n.t('Check the link you followed, or go to the lobby.'),
    };
  }
  if (errorType === 'Forbidden') {
    return {
      what: i18n.t('You cannot take part in this room: {{reason}}.', { reason: message }),
      next: i18n.t('Contact the event team if you need access.'),
    };
  }
  return null;
}

/** When a subscription's refusal ends by itself (a timeout's end, epoch ms), or null (permanent). */
export function refusalEndsAt(detail: string | undefined): number | null {
  return banEndsAt(...splitDetail(detail));
}

/** A subscription's refusal detail ("Type: message", from liveSubscription) in the attendee's words. */
export function explainRefusalDetail(detail: string | undefined): Refusal {
  return (
    explainRefusal(...splitDetail(detail)) ?? {
      what: i18n.t('The chat refused this room ({{reason}}).', { reason: detail ?? i18n.t('no reason given') }),
      next: i18n.t('Reload the page; if it happens again, contact the event team.'),
    }
  );
}
