import type { RoomConnection } from '../data/useRoom';

const LABELS = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', refused: 'Not joined' } as const;

/** The room's subscription state; its text is exactly "Live" while subscribed. */
export function ConnectionStatus({ connection }: { connection: RoomConnection }) {
  return (
    <p role="status" className={`connection connection-${connection.state}`} title={connection.detail}>
      {LABELS[connection.state]}
    </p>
  );
}
