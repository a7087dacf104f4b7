// What AppSync's two WebSocket protocols share (GraphQL real-time, `graphql-ws`; Event API,
// `aws-appsync-event-ws`): one socket per page, opened with the authorization as a
// Sec-WebSocket-Protocol entry `header-<base64url JSON {host, Authorization}>`, never in the
// URL; connection_init → connection_ack; `ka` keep-alives, silence for connectionTimeoutMs
// meaning a dead link; every live stream erroring when the socket drops (its owner
// re-subscribes, liveSubscription.ts); and the socket closing once nothing uses it.

/** A subscription or connection refused by the server: its `errors` as AppSync sent them. */
export class RealtimeError extends Error {
  readonly errors: unknown[];

  constructor(message: string, errors: unknown[] = []) {
    const first = errors[0] as { errorType?: string; message?: string } | undefined;
    super(first?.message ? `${first.errorType ? `${first.errorType}: ` : ''}${first.message}` : message);
    this.errors = errors;
  }
}

export interface ServerMessage {
  type?: string;
  id?: string;
  [key: string]: unknown;
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

export abstract class RealtimeSocket<Stream extends { error(error: unknown): void }> {
  protected socket: WebSocket | null = null;
  protected readonly active = new Map<string, Stream>();
  private ready: Promise<WebSocket> | null = null;
  private nextId = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private connectionTimeoutMs = DEFAULT_CONNECTION_TIMEOUT_MS;

  protected constructor(
    private readonly url: string,
    private readonly protocol: string,
  ) {}

  /** connectionTimeoutMs as this protocol's connection_ack carries it. */
  protected abstract connectionTimeout(ack: ServerMessage): number | undefined;

  /** A message for one of the active streams (not an ack, a connection error or `ka`). */
  protected abstract dispatch(message: ServerMessage, stream: Stream, id: string): void;

  /** Opens (or re-uses) the socket, then calls `send` with it unless the stream ended meanwhile. */
  protected begin(id: string, authorization: () => Promise<Record<string, string>>, send: (socket: WebSocket, authorization: Record<string, string>) => void): void {
    (async () => {
      const auth = await authorization();
      const socket = await this.connect(auth);
      if (this.active.has(id)) {
        send(socket, auth);
      }
    })().catch((error: unknown) => {
      const stream = this.active.get(id);
      if (stream && this.active.delete(id)) {
        stream.error(error);
      }
    });
  }

  /** Registers a stream and returns its id. */
  protected register(stream: Stream): string {
    const id = `${Date.now().toString(36)}-${++this.nextId}`;
    this.active.set(id, stream);
    clearTimeout(this.idleTimer);
    return id;
  }

  /** Ends a stream from the client's side, telling the server with `stop` if the socket is up. */
  protected end(id: string, stop: Record<string, unknown>): void {
    if (this.active.delete(id) && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(stop));
    }
    this.closeWhenIdle();
  }

  private connect(authorization: Record<string, string>): Promise<WebSocket> {
    if (this.ready) {
      return this.ready;
    }
    const ready = new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.url, [this.protocol, `header-${base64Url(JSON.stringify(authorization))}`]);
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
          this.connectionTimeoutMs = this.connectionTimeout(message) ?? DEFAULT_CONNECTION_TIMEOUT_MS;
          this.keepAlive(socket);
          resolve(socket);
        } else if (message.type === 'connection_error') {
          clearTimeout(ackTimer);
          reject(new RealtimeError('The real-time connection was refused.', errorsOf(message)));
          socket.close();
        } else if (message.type === 'ka') {
          this.keepAlive(socket);
        } else {
          const stream = message.id === undefined ? undefined : this.active.get(message.id);
          if (stream && message.id !== undefined) {
            this.dispatch(message, stream, message.id);
          }
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
    for (const stream of failed) {
      stream.error(new RealtimeError(reason));
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

/** The `errors` of a message, wherever the protocol puts them (GraphQL real-time: in `payload`). */
export function errorsOf(message: ServerMessage): unknown[] {
  const payload = message.payload as { errors?: unknown[] } | undefined;
  const errors = (message.errors as unknown[] | undefined) ?? payload?.errors;
  return Array.isArray(errors) ? errors : [];
}
