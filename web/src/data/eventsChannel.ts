// events stacks: a room's live messages and room events arrive on its Event API channel,
// /rooms/<roomId> (AppSync Events' WebSocket protocol, subprotocol `aws-appsync-event-ws`):
// connection_init → connection_ack, `ka` keep-alives, subscribe → subscribe_success → data
// ({event: JSON text}), unsubscribe. The authorization travels as a Sec-WebSocket-Protocol
// entry `header-<base64url JSON {host, Authorization}>` and in every subscribe (a fresh token).
// One socket serves the page's subscriptions; when it drops, each errors and its owner
// re-subscribes (liveSubscription.ts: liveStream).
import { createContext, useContext } from 'react';

import { base64Url, RealtimeError } from './appsyncRealtimeLink';

export interface StreamHandlers<T> {
  next(value: T): void;
  error(error: unknown): void;
  /** subscribe_success: the Event API delivers to this subscription from now on. */
  subscribed(): void;
}

interface ServerMessage {
  type?: string;
  id?: string;
  event?: string;
  connectionTimeoutMs?: number;
  errors?: unknown[];
}

const ACK_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 300_000;
const IDLE_CLOSE_MS = 2_000;

export class EventsChannels {
  private readonly host: string;
  private socket: WebSocket | null = null;
  private ready: Promise<WebSocket> | null = null;
  private readonly active = new Map<string, StreamHandlers<unknown>>();
  private nextId = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private connectionTimeoutMs = DEFAULT_CONNECTION_TIMEOUT_MS;

  constructor(
    private readonly realtimeUrl: string,
    eventsUrl: string,
    private readonly token: () => Promise<string>,
  ) {
    this.host = new URL(eventsUrl).host;
  }

  /** Subscribes to `channel`; each event arrives parsed. Returns the unsubscribe. */
  subscribe<T>(channel: string, handlers: StreamHandlers<T>): () => void {
    const id = `${Date.now().toString(36)}-${++this.nextId}`;
    this.active.set(id, handlers as StreamHandlers<unknown>);
    clearTimeout(this.idleTimer);
    (async () => {
      const authorization = { host: this.host, Authorization: await this.token() };
      const socket = await this.connect(authorization);
      if (this.active.has(id)) {
        socket.send(JSON.stringify({ type: 'subscribe', id, channel, authorization }));
      }
    })().catch((error: unknown) => {
      if (this.active.delete(id)) {
        handlers.error(error);
      }
    });
    return () => {
      if (this.active.delete(id) && this.socket?.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify({ type: 'unsubscribe', id }));
      }
      this.closeWhenIdle();
    };
  }

  private connect(authorization: Record<string, string>): Promise<WebSocket> {
    if (this.ready) {
      return this.ready;
    }
    const ready = new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.realtimeUrl, ['aws-appsync-event-ws', `header-${base64Url(JSON.stringify(authorization))}`]);
      this.socket = socket;
      let acknowledged = false;
      const ackTimer = setTimeout(() => {
        reject(new RealtimeError(`No connection_ack within ${ACK_TIMEOUT_MS / 1000} s.`));
        socket.close();
      }, ACK_TIMEOUT_MS);
      socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init' }));
      socket.onmessage = (message: MessageEvent) => {
        let parsed: ServerMessage;
        try {
          parsed = JSON.parse(String(message.data)) as ServerMessage;
        } catch {
          return;
        }
        if (parsed.type === 'connection_ack') {
          acknowledged = true;
          clearTimeout(ackTimer);
          this.connectionTimeoutMs = parsed.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
          this.keepAlive(socket);
          resolve(socket);
        } else if (parsed.type === 'connection_error') {
          clearTimeout(ackTimer);
          reject(new RealtimeError('The real-time connection was refused.', parsed.errors));
          socket.close();
        } else {
          this.dispatch(socket, parsed);
        }
      };
      socket.onclose = (event: CloseEvent) => {
        clearTimeout(ackTimer);
        const reason = `The real-time connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''}).`;
        if (!acknowledged) {
          reject(new RealtimeError(reason));
        }
        this.dropped(socket, reason);
      };
    });
    this.ready = ready;
    ready.catch(() => {
      if (this.ready === ready) {
        this.ready = null;
      }
    });
    return ready;
  }

  private dispatch(socket: WebSocket, message: ServerMessage): void {
    if (message.type === 'ka') {
      this.keepAlive(socket);
      return;
    }
    const handlers = message.id === undefined ? undefined : this.active.get(message.id);
    if (!handlers || message.id === undefined) {
      return;
    }
    switch (message.type) {
      case 'subscribe_success':
        handlers.subscribed();
        break;
      case 'data':
        try {
          handlers.next(JSON.parse(message.event ?? 'null'));
        } catch {
          // not JSON: not one of the stack's events
        }
        break;
      case 'subscribe_error':
      case 'error':
        this.active.delete(message.id);
        handlers.error(new RealtimeError('The subscription was refused.', message.errors));
        break;
    }
  }

  private keepAlive(socket: WebSocket): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => socket.close(), this.connectionTimeoutMs);
  }

  private dropped(socket: WebSocket, reason: string): void {
    if (this.socket !== socket) {
      return;
    }
    clearTimeout(this.watchdog);
    this.socket = null;
    this.ready = null;
    const failed = [...this.active.values()];
    this.active.clear();
    for (const handlers of failed) {
      handlers.error(new RealtimeError(reason));
    }
  }

  private closeWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.active.size === 0 && this.socket) {
        const socket = this.socket;
        this.dropped(socket, 'idle');
        socket.close(1000);
      }
    }, IDLE_CLOSE_MS);
  }
}

/** The page's Event API channels (events stacks), or null. */
export const EventsContext = createContext<EventsChannels | null>(null);

export function useEventsChannels(): EventsChannels | null {
  return useContext(EventsContext);
}
