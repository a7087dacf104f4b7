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

import { RealtimeError, RealtimeSocket, errorsOf, type ServerMessage } from './realtimeSocket';

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

interface Active {
  observer: { next(value: ApolloLink.Result): void; error(error: unknown): void; complete(): void };
  onSubscribed?: () => void;
  error(error: unknown): void;
}

class GraphQLSocket extends RealtimeSocket<Active> {
  constructor(realtimeUrl: string) {
    super(realtimeUrl, 'graphql-ws');
  }

  start(active: Active, authorization: () => Promise<Record<string, string>>, query: string,
        variables: Record<string, unknown>): () => void {
    const id = this.register(active);
    this.begin(id, authorization, (socket, auth) => {
      const data = JSON.stringify({ query, variables });
      socket.send(JSON.stringify({ id, type: 'start', payload: { data, extensions: { authorization: auth } } }));
    });
    return () => this.end(id, { id, type: 'stop' });
  }

  protected connectionTimeout(ack: ServerMessage): number | undefined {
    return (ack.payload as { connectionTimeoutMs?: number } | undefined)?.connectionTimeoutMs;
  }

  protected dispatch(message: ServerMessage, subscription: Active, id: string): void {
    switch (message.type) {
      case 'start_ack':
        subscription.onSubscribed?.();
        break;
      case 'data':
        subscription.observer.next(message.payload as ApolloLink.Result);
        break;
      case 'error':
        this.active.delete(id);
        subscription.observer.error(new RealtimeError('The subscription was refused.', errorsOf(message)));
        break;
      case 'complete':
        this.active.delete(id);
        subscription.observer.complete();
        break;
    }
  }
}

export class AppSyncRealtimeLink extends ApolloLink {
  private readonly options: RealtimeLinkOptions;
  private readonly host: string;
  private readonly socket: GraphQLSocket;

  constructor(options: RealtimeLinkOptions) {
    super();
    this.options = options;
    this.host = new URL(options.graphqlUrl).host;
    this.socket = new GraphQLSocket(options.realtimeUrl);
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    return new Observable<ApolloLink.Result>((observer) => {
      const { onSubscribed } = operation.getContext() as RealtimeContext;
      const authorization = async () => ({ host: this.host, Authorization: await this.options.token() });
      return this.socket.start({ observer, onSubscribed, error: (error) => observer.error(error) }, authorization,
                              print(operation.query), operation.variables);
    });
  }
}
