// events stacks: a room's live messages and room events arrive on its Event API channel,
// /rooms/<roomId> (AppSync Events' WebSocket protocol, subprotocol `aws-appsync-event-ws`):
// connection_init → connection_ack, `ka` keep-alives, subscribe → subscribe_success → data
// ({event: JSON text}), unsubscribe. The authorization travels as a Sec-WebSocket-Protocol
// entry `header-<base64url JSON {host, Authorization}>` and in every subscribe (a fresh token).
// One socket serves the page's subscriptions; when it drops, each errors and its owner
// re-subscribes (liveSubscription.ts: liveStream).
import { createContext, useContext } from 'react';

import { RealtimeError, RealtimeSocket, errorsOf, type ServerMessage } from './realtimeSocket';

export interface StreamHandlers<T> {
  next(value: T): void;
  error(error: unknown): void;
  /** subscribe_success: the Event API delivers to this subscription from now on. */
  subscribed(): void;
}

export class EventsChannels extends RealtimeSocket<StreamHandlers<unknown>> {
  private readonly host: string;

  constructor(
    realtimeUrl: string,
    eventsUrl: string,
    private readonly token: () => Promise<string>,
  ) {
    super(realtimeUrl, 'aws-appsync-event-ws');
    this.host = new URL(eventsUrl).host;
  }

  /** Subscribes to `channel`; each event arrives parsed. Returns the unsubscribe. */
  subscribe<T>(channel: string, handlers: StreamHandlers<T>): () => void {
    const id = this.register(handlers as StreamHandlers<unknown>);
    const authorization = async () => ({ host: this.host, Authorization: await this.token() });
    this.begin(id, authorization, (socket, auth) => {
      socket.send(JSON.stringify({ type: 'subscribe', id, channel, authorization: auth }));
    });
    return () => this.end(id, { type: 'unsubscribe', id });
  }

  protected connectionTimeout(ack: ServerMessage): number | undefined {
    return typeof ack.connectionTimeoutMs === 'number' ? ack.connectionTimeoutMs : undefined;
  }

  protected dispatch(message: ServerMessage, handlers: StreamHandlers<unknown>, id: string): void {
    switch (message.type) {
      case 'subscribe_success':
        handlers.subscribed();
        break;
      case 'data':
        try {
          handlers.next(JSON.parse(typeof message.event === 'string' ? message.event : 'null'));
        } catch {
          // not JSON: not one of the stack's events
        }
        break;
      case 'subscribe_error':
      case 'error':
        this.active.delete(id);
        handlers.error(new RealtimeError('The subscription was refused.', errorsOf(message)));
        break;
    }
  }
}

/** The page's Event API channels (events stacks), or null. */
export const EventsContext = createContext<EventsChannels | null>(null);

export function useEventsChannels(): EventsChannels | null {
  return useContext(EventsContext);
}
