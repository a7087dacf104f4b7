import { useCallback, useState } from 'react';

import type { FanOutMode } from '../config';
import { authorName, type Message } from '../data/operations';
import { BAN_DURATIONS, useModeration, type BanDuration } from '../data/useModeration';
import { useRoom } from '../data/useRoom';
import { useSendMessage } from '../data/useSend';
import { Composer } from './Composer';
import { ConnectionStatus } from './ConnectionStatus';
import { MessageList } from './MessageList';
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
  const room = useRoom(roomId, fanOutMode);
  const sender = useSendMessage(room, roomId);
  const moderation = useModeration(room, roomId);
  const [banDuration, setBanDuration] = useState<BanDuration>(null);
  const { deleteMessage, banSender } = moderation;
  const deleteAction = useCallback((message: Message) => void deleteMessage(message), [deleteMessage]);
  const banAction = useCallback((message: Message) => void banSender(message, banDuration), [banSender, banDuration]);
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
  const closeThread = useCallback(() => setThreadId(null), []);
  const parent = threadParent ?? (threadId && threadFallback?.messageId === threadId ? threadFallback : undefined);

  return (
    <div className="chat">
      <header className="topbar">
        <h1>#{roomId}</h1>
        <ConnectionStatus connection={room.connection} />
        <span className="user">
          Signed in as <strong>{username}</strong>
          {moderator && ' (moderator)'}
        </span>
        {moderator && (
          <label className="ban-length">
            Ban length{' '}
            <select
              value={banDuration === null ? '' : String(banDuration)}
              onChange={(event) => setBanDuration(event.target.value === '' ? null : Number(event.target.value))}
            >
              {BAN_DURATIONS.map((d) => (
                <option key={d.label} value={d.seconds === null ? '' : String(d.seconds)}>
                  {d.label}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div className="panes">
        <main className="conversation">
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
            <Composer sender={sender} label="Message" action="Send" placeholder={`Message #${roomId}`} />
          )}
        </main>
        {parent && <ThreadPanel key={parent.messageId} room={room} roomId={roomId} parent={parent} onClose={closeThread} />}
        {senderShown && (
          <SenderPanel
            key={senderShown.sender}
            sender={senderShown.sender}
            name={senderShown.name}
            onClose={() => setSenderShown(null)}
          />
        )}
      </div>
    </div>
  );
}
