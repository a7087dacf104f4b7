// Apollo Client subscriptions over AppSync's real-time WebSocket protocol (subprotocol
// `graphql-ws`): connection_init → connection_ack, `ka` keep-alives, start → start_ack →
// data, stop → complete. The connection's authorization travels as a Sec-WebSocket-Protocol
// entry `header-<base64url JSON {host, Authorization}>`, never in the URL; every start
// carries its own (fresh) token. One socket is shared by the page's subscriptions.
//
// When the socket drops, every subscription on it errors; the caller re-subscribes
// (see liveSubscription.ts). A subscription's operation context may hold onSubscribed(),
// called on its start_ack, which is when AppSync starts delivering to it.
//
// Why not aws-appsync-subscription-link: it needs a Buffer polyfill in browsers, bundles an
// MQTT client and the request signer (~100 KB gzip), and does not tell its user when a
// subscription is acknowledged without extra plumbing.
import { ApolloLink, Observable } from '@apollo/client';
import { print } from 'graphql';

export interface RealtimeLinkOptions {
  /** The stack's realtimeUrl output (wss://…/graphql/realtime, or ws:// locally). */
  realtimeUrl: string;
  /** The stack's graphqlUrl output: its host is what AppSync checks in the authorization. */
  graphqlUrl: string;
  /** The Cognito token to authorise with; called for the connection and for every start. */
  token: () => Promise<string>;
}

interface RealtimeContext {
  onSubscribed?: () => void;
}

interface ServerMessage {
  type?: string;
  id?: string;
  payload?: { connectionTimeoutMs?: number; errors?: unknown[]; data?: unknown };
}

/** A subscription or connection refused by the server: its `errors` as AppSync sent them. */
export class RealtimeError extends Error {
  readonly errors: unknown[];

  constructor(message: string, errors: unknown[] = []) {
    const first = errors[0] as { errorType?: string; message?: string } | undefined;
    super(first?.message ? `${first.errorType ? `${first.errorType}: ` : ''}${first.message}` : message);
    this.errors = errors;
  }
}

const ACK_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 300_000;
/** How long an unused socket stays open (a room change or remount re-uses it). */
const IDLE_CLOSE_MS = 2_000;

export function base64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

interface Active {
  observer: { next(value: ApolloLink.Result): void; error(error: unknown): void; complete(): void };
  onSubscribed?: () => void;
}

export class AppSyncRealtimeLink extends ApolloLink {
  private readonly options: RealtimeLinkOptions;
  private readonly host: string;
  private socket: WebSocket | null = null;
  private ready: Promise<WebSocket> | null = null;
  private readonly active = new Map<string, Active>();
  private nextId = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private connectionTimeoutMs = DEFAULT_CONNECTION_TIMEOUT_MS;

  constructor(options: RealtimeLinkOptions) {
    super();
    this.options = options;
    this.host = new URL(options.graphqlUrl).host;
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    return new Observable<ApolloLink.Result>((observer) => {
      const id = `${Date.now().toString(36)}-${++this.nextId}`;
      const { onSubscribed } = operation.getContext() as RealtimeContext;
      this.active.set(id, { observer, onSubscribed });
      clearTimeout(this.idleTimer);
      const query = print(operation.query);
      (async () => {
        const authorization = { host: this.host, Authorization: await this.options.token() };
        const socket = await this.connect(authorization);
        if (!this.active.has(id)) {
          return;
        }
        const data = JSON.stringify({ query, variables: operation.variables });
        socket.send(JSON.stringify({ id, type: 'start', payload: { data, extensions: { authorization } } }));
      })().catch((error: unknown) => {
        if (this.active.delete(id)) {
          observer.error(error);
        }
      });
      return () => {
        if (this.active.delete(id) && this.socket?.readyState === WebSocket.OPEN) {
          this.socket.send(JSON.stringify({ id, type: 'stop' }));
        }
        this.closeWhenIdle();
      };
    });
  }

  private connect(authorization: Record<string, string>): Promise<WebSocket> {
    if (this.ready) {
      return this.ready;
    }
    const ready = new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.options.realtimeUrl, ['graphql-ws', `header-${base64Url(JSON.stringify(authorization))}`]);
      this.socket = socket;
      let acknowledged = false;
      const ackTimer = setTimeout(() => {
        reject(new RealtimeError(`No connection_ack within ${ACK_TIMEOUT_MS / 1000} s.`));
        socket.close();
      }, ACK_TIMEOUT_MS);
      socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init' }));
      socket.onmessage = (event: MessageEvent) => {
        let message: ServerMessage;
        try {
          message = JSON.parse(String(event.data)) as ServerMessage;
        } catch {
          return;
        }
        if (message.type === 'connection_ack') {
          acknowledged = true;
          clearTimeout(ackTimer);
          this.connectionTimeoutMs = message.payload?.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
          this.keepAlive(socket);
          resolve(socket);
        } else if (message.type === 'connection_error') {
          clearTimeout(ackTimer);
          reject(new RealtimeError('The real-time connection was refused.', message.payload?.errors));
          socket.close();
        } else {
          this.dispatch(socket, message);
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
    const subscription = message.id === undefined ? undefined : this.active.get(message.id);
    if (!subscription || message.id === undefined) {
      return;
    }
    switch (message.type) {
      case 'start_ack':
        subscription.onSubscribed?.();
        break;
      case 'data':
        subscription.observer.next(message.payload as ApolloLink.Result);
        break;
      case 'error':
        this.active.delete(message.id);
        subscription.observer.error(new RealtimeError('The subscription was refused.', message.payload?.errors));
        break;
      case 'complete':
        this.active.delete(message.id);
        subscription.observer.complete();
        break;
    }
  }

  /** AppSync sends `ka` well within connectionTimeoutMs; silence that long means the link is dead. */
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
    for (const { observer } of failed) {
      observer.error(new RealtimeError(reason));
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
