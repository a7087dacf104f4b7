// One subscription that stays up: when AppSync (or the network) drops it, it subscribes
// again with jittered exponential back-off, and reports each state so the page can say so.
import type { ApolloClient, OperationVariables, TypedDocumentNode } from '@apollo/client';

import type { SubscriptionContext } from './client';
import type { StreamHandlers } from './eventsChannel';

export type SubscriptionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

// Refusals no retry can change (a ban, an invalid room): the subscription stops and says why.
// Others (the network, an expiring token, a throttle) are retried with back-off.
const PERMANENT_ERROR_TYPES = new Set(['Forbidden', 'ValidationError', 'BatchedRoom']);

function errorType(error: unknown): string | undefined {
  const errors = (error as { errors?: { errorType?: string }[] } | null)?.errors;
  return Array.isArray(errors) ? errors[0]?.errorType : undefined;
}

export interface LiveStreamOptions<T> {
  onData: (data: T) => void;
  /**
   * After every acknowledgement (start_ack, subscribe_success), before the state becomes live:
   * fetch what may have been missed while not subscribed. Its failure counts as a failed attempt.
   */
  onSubscribed?: () => Promise<void>;
  onState: (state: SubscriptionState, detail?: string) => void;
}

export interface LiveSubscriptionOptions<TData, TVariables extends OperationVariables> extends LiveStreamOptions<TData> {
  query: TypedDocumentNode<TData, TVariables>;
  variables: TVariables;
}

/** One attempt at a stream: calls the handlers, returns its stop. */
export type StreamOpener<T> = (handlers: StreamHandlers<T>) => () => void;

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const errors = (error as { errors?: { message?: string }[] }).errors;
    if (Array.isArray(errors) && errors[0]?.message) {
      return errors[0].message;
    }
    if ('message' in error && typeof error.message === 'string') {
      return error.message;
    }
  }
  return String(error);
}

/** Keeps a stream up (an AppSync subscription, an Event API channel); the returned function ends it for good. */
export function liveStream<T>(open: StreamOpener<T>, options: LiveStreamOptions<T>): () => void {
  let stopped = false;
  let attempt = 0;
  let generation = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let stopCurrent: (() => void) | undefined;

  const start = () => {
    const mine = ++generation;
    const isCurrent = () => !stopped && mine === generation;
    const failed = (error: unknown) => {
      if (!isCurrent()) {
        return;
      }
      generation++;
      stopCurrent?.();
      stopCurrent = undefined;
      const type = errorType(error);
      if (type && PERMANENT_ERROR_TYPES.has(type)) {
        options.onState('refused', `${type}: ${describe(error)}`);
        return;
      }
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      options.onState('reconnecting', describe(error));
      retryTimer = setTimeout(start, delay);
    };
    stopCurrent = open({
      subscribed: () => {
        if (!isCurrent()) {
          return;
        }
        (options.onSubscribed ? options.onSubscribed() : Promise.resolve()).then(
          () => {
            if (isCurrent()) {
              attempt = 0;
              options.onState('live');
            }
          },
          failed,
        );
      },
      next: (data) => {
        if (isCurrent()) {
          options.onData(data);
        }
      },
      error: failed,
    });
  };

  options.onState('connecting');
  start();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    stopCurrent?.();
  };
}

/** An AppSync GraphQL subscription kept up (see liveStream). */
export function liveSubscription<TData, TVariables extends OperationVariables>(
  client: ApolloClient,
  options: LiveSubscriptionOptions<TData, TVariables>,
): () => void {
  return liveStream<TData>((handlers) => {
    const context: SubscriptionContext & { queryDeduplication: boolean } = {
      queryDeduplication: false,
      onSubscribed: handlers.subscribed,
    };
    const subscription = client
      .subscribe<TData, TVariables>({
        query: options.query,
        variables: options.variables,
        fetchPolicy: 'no-cache',
        context,
      } as ApolloClient.SubscribeOptions<TData, TVariables>)
      .subscribe({
        next: (result) => {
          if (result.error) {
            handlers.error(result.error);
          } else if (result.data) {
            handlers.next(result.data as TData);
          }
        },
        error: handlers.error,
        complete: () => handlers.error(new Error('The subscription ended.')),
      });
    return () => subscription.unsubscribe();
  }, options);
}
