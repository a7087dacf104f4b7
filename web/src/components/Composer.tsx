import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

import { useTranslation } from 'react-i18next';

import type { Sender } from '../data/useSend';

interface ComposerProps {
  sender: Sender;
  /** Accessible name of the text box ("Message", "Reply"). */
  label: string;
  /** Accessible name of the button ("Send", "Send reply"). */
  action: string;
  placeholder?: string;
  /** Put the keyboard focus here when it appears (opening a thread is a request to reply). */
  focusOnMount?: boolean;
  /** Where the draft is kept (sessionStorage) so a new sign-in or a reload finds it again. */
  draftKey?: string;
  /** The text box's element id (the page's skip link points at it). */
  id?: string;
}

function readDraft(key: string | undefined): string {
  try {
    return (key && sessionStorage.getItem(key)) || '';
  } catch {
    return '';
  }
}

function writeDraft(key: string | undefined, text: string): void {
  try {
    if (key) {
      if (text) {
        sessionStorage.setItem(key, text);
      } else {
        sessionStorage.removeItem(key);
      }
    }
  } catch {
    // storage unavailable (private mode): the draft lives as long as the page
  }
}

function countdown(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * A text box that sends with Enter (Shift+Enter: new line) or the button. It clears at once;
 * what the server refuses comes back into it with the reason. While slow mode or a timeout
 * holds, the button counts down. The draft survives a reload or a new sign-in.
 */
export function Composer({ sender, label, action, placeholder, focusOnMount, draftKey, id }: ComposerProps) {
  const [text, setText] = useState(() => readDraft(draftKey));
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Date.now());
  const errorId = useId();
  const box = useRef<HTMLTextAreaElement>(null);
  const { onUnsent, retryAt, clearError } = sender;
  const waiting = retryAt !== null && retryAt > now;

  useEffect(() => {
    if (focusOnMount) {
      box.current?.focus();
    }
  }, [focusOnMount]);

  useEffect(() => writeDraft(draftKey, text), [draftKey, text]);

  // What the server refused comes back, ahead of anything typed since.
  useEffect(() => onUnsent((back) => setText((typed) => (typed ? `${back}\n${typed}` : back))), [onUnsent]);

  // The countdown: once the wait is over, the refusal no longer applies.
  useEffect(() => {
    if (retryAt === null) {
      return undefined;
    }
    const tick = setInterval(() => {
      const current = Date.now();
      setNow(current);
      if (current >= retryAt) {
        clearInterval(tick);
        clearError();
      }
    }, 1000);
    return () => clearInterval(tick);
  }, [retryAt, clearError]);

  const submit = () => {
    if (!text.trim() || waiting) {
      return;
    }
    sender.send(text);
    setText('');
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <textarea
        id={id}
        aria-label={label}
        value={text}
        rows={2}
        placeholder={placeholder}
        ref={box}
        aria-invalid={sender.error ? true : undefined}
        aria-describedby={sender.error ? errorId : undefined}
        onChange={(event) => {
          setText(event.target.value);
          if (sender.error && !waiting) {
            sender.clearError();
          }
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" disabled={waiting || !text.trim()}>
        {waiting ? `${action} (${countdown(retryAt - now)})` : action}
      </button>
      {sender.error && (
        <p className="error" id={errorId} role="alert">
          {sender.error}
        </p>
      )}
      <p className="queued" role="status">
        {sender.queued > 0 ? t('{{count}} more waiting to send', { count: sender.queued }) : ''}
      </p>
    </form>
  );
}
