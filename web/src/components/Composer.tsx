import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';

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
}

/**
 * A text box that sends with Enter (Shift+Enter: new line) or the button. On failure the
 * server's error is shown next to it and the text stays; on success it is cleared.
 */
export function Composer({ sender, label, action, placeholder, focusOnMount }: ComposerProps) {
  const [text, setText] = useState('');
  const errorId = useId();
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (focusOnMount) {
      box.current?.focus();
    }
  }, [focusOnMount]);

  const submit = async () => {
    if (!text.trim() || sender.sending) {
      return;
    }
    if (await sender.send(text)) {
      setText('');
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      <textarea
        aria-label={label}
        value={text}
        rows={2}
        placeholder={placeholder}
        ref={box}
        aria-invalid={sender.error ? true : undefined}
        aria-describedby={sender.error ? errorId : undefined}
        onChange={(event) => {
          setText(event.target.value);
          if (sender.error) {
            sender.clearError();
          }
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" disabled={sender.sending || !text.trim()}>
        {action}
      </button>
      {sender.error && (
        <p className="error" id={errorId} role="alert">
          {sender.error}
        </p>
      )}
    </form>
  );
}
