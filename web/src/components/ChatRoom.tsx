import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { FanOutMode } from '../config';
import { authorName, type Message } from '../data/operations';
import { useModeration } from '../data/useModeration';
import { useRoom } from '../data/useRoom';
import { useSendMessage } from '../data/useSend';
import { Composer } from './Composer';
import { ConnectionStatus } from './ConnectionStatus';
import { MessageList } from './MessageList';
import { BanDialog, ConfirmDelete, RoomSettingsDialog } from './ModerationDialogs';
import { ModerationLogPanel } from './ModerationLogPanel';
import { PinnedMessage } from './PinnedMessage';
import { RoomRefusal } from './RoomRefusal';
import { SenderPanel } from './SenderPanel';
import { ThreadPanel } from './ThreadPanel';

interface ChatRoomProps {
  roomId: string;
  fanOutMode: FanOutMode;
  username: string;
  /** The user's id (token sub): their own messages are marked. */
  userId: string;
  moderator: boolean;
  signOut: () => void;
}

export function ChatRoom({ roomId, fanOutMode, username, userId, moderator, signOut }: ChatRoomProps) {
  const { t } = useTranslation();
  const room = useRoom(roomId, fanOutMode);
  const sender = useSendMessage(room, roomId);
  const moderation = useModeration(room, roomId);
  const { deleteMessage, banSender, pin } = moderation;
  // What a moderator is about to do: each destructive action is confirmed in a dialog first.
  const [confirming, setConfirming] = useState<{ kind: 'delete' | 'ban'; message: Message } | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [logOpen, setLogOpen] = useState(false);
  const deleteAction = useCallback((message: Message) => setConfirming({ kind: 'delete', message }), []);
  const banAction = useCallback((message: Message) => setConfirming({ kind: 'ban', message }), []);
  const pinAction = useCallback((message: Message) => void pin(message), [pin]);
  const [threadId, setThreadId] = useState<string | null>(null);
  const [senderShown, setSenderShown] = useState<{ sender: string; name: string } | null>(null);
  const showSender = useCallback((message: Message) => setSenderShown({ sender: message.sender, name: authorName(message) }), []);
  // The thread's parent as currently held (its reply count stays live).
  const threadParent = threadId ? room.messages.find((m) => m.messageId === threadId) : undefined;
  const [threadFallback, setThreadFallback] = useState<Message | null>(null);

  const openThread = useCallback((message: Message) => {
    setThreadId(message.messageId);
    setThreadFallback(message);
  }, []);
  // Escape or Close: focus goes back to the Reply button that opened the thread (or, if that
  // message scrolled out of the list, to the message box), not to the page body.
  const closeThread = useCallback(() => {
    const opener = threadId;
    setThreadId(null);
    requestAnimationFrame(() => {
      const reply = opener
        ? document.querySelector<HTMLButtonElement>(`article[data-message-id="${CSS.escape(opener)}"] button.reply`)
        : null;
      (reply ?? document.getElementById('message-box'))?.focus();
    });
  }, [threadId]);
  const parent = threadParent ?? (threadId && threadFallback?.messageId === threadId ? threadFallback : undefined);

  return (
    <div className="chat">
      <a className="skip-link" href="#message-box">
        {t('Skip to message box')}
      </a>
      <header className="topbar">
        <h1>#{roomId}</h1>
        <ConnectionStatus connection={room.connection} />
        <span className="user">
          {t('Signed in as')} <strong>{username}</strong>
          {moderator && ` ${t('(moderator)')}`}
        </span>
        {moderator && (
          <>
            <button type="button" onClick={() => setSettingsOpen(true)}>
              {t('Room settings')}
            </button>
            <button type="button" aria-expanded={logOpen} onClick={() => setLogOpen((open) => !open)}>
              {t('Moderation log')}
            </button>
          </>
        )}
        <button type="button" onClick={signOut}>
          {t('Sign out')}
        </button>
      </header>
      <div className="panes">
        <main className="conversation">
          {room.settings?.pinnedMessage && (
            <PinnedMessage pinned={room.settings.pinnedMessage} onUnpin={moderator ? () => void moderation.unpin() : undefined} />
          )}
          <MessageList
            messages={room.messages}
            hasOlder={room.hasOlder}
            loadingOlder={room.loadingOlder}
            onLoadOlder={room.loadOlder}
            openThreadId={threadId}
            onOpenThread={openThread}
            ownSender={userId || undefined}
            onShowSender={moderator ? showSender : undefined}
            onDelete={moderator ? deleteAction : undefined}
            onBan={moderator ? banAction : undefined}
            onPin={moderator ? pinAction : undefined}
          />
          {moderator && moderation.error && (
            <p className="error moderation" role="alert">
              {moderation.error}
            </p>
          )}
          {moderator && (
            <p className="notice" aria-live="polite">
              {moderation.notice}
            </p>
          )}
          {room.connection.state === 'refused' ? (
            <RoomRefusal detail={room.connection.detail} />
          ) : (
            <Composer
              sender={sender}
              label={t('Message')}
              action={t('Send')}
              placeholder={t('Message #{{room}}', { room: roomId })}
              draftKey={`chatstack:draft:${roomId}`}
              id="message-box"
            />
          )}
        </main>
        {parent && <ThreadPanel key={parent.messageId} room={room} roomId={roomId} parent={parent} onClose={closeThread} />}
        {moderator && logOpen && (
          <ModerationLogPanel
            roomId={roomId}
            refresh={moderation.actions}
            onUnban={(banned, name) => void moderation.unban(banned, name)}
            messages={room.messages}
            self={{ userId, username }}
            onClose={() => setLogOpen(false)}
          />
        )}
        {senderShown && (
          <SenderPanel
            key={senderShown.sender}
            sender={senderShown.sender}
            name={senderShown.name}
            onClose={() => setSenderShown(null)}
          />
        )}
      </div>
      {confirming?.kind === 'delete' && (
        <ConfirmDelete
          message={confirming.message}
          onClose={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            void deleteMessage(confirming.message);
          }}
        />
      )}
      {confirming?.kind === 'ban' && (
        <BanDialog
          message={confirming.message}
          onClose={() => setConfirming(null)}
          onBan={(duration, reason) => {
            setConfirming(null);
            void banSender(confirming.message, duration, reason);
          }}
        />
      )}
      {settingsOpen && (
        <RoomSettingsDialog settings={room.settings} onSave={moderation.saveSettings} onClose={() => setSettingsOpen(false)} />
      )}
    </div>
  );
}
