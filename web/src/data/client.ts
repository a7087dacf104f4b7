// The Apollo Client for one stack: queries and mutations over HTTP, subscriptions over
// AppSync's real-time WebSocket protocol, both authorised with the signed-in user's
// Cognito ID token.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { Kind, OperationTypeNode } from 'graphql';

import type { ClientConfig } from '../config';
import { AppSyncRealtimeLink } from './appsyncRealtimeLink';

/** Operation context of a subscription: called on every start_ack (the subscription is live). */
export interface SubscriptionContext {
  onSubscribed?: () => void;
}

function isSubscription(operation: ApolloLink.Operation): boolean {
  return operation.query.definitions.some(
    (d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.SUBSCRIPTION,
  );
}

export function createChatClient(config: ClientConfig, token: () => Promise<string>): ApolloClient {
  const http = ApolloLink.from([
    new SetContextLink(async (previous) => ({
      headers: { ...previous.headers, Authorization: await token() },
    })),
    new HttpLink({ uri: config.graphqlUrl }),
  ]);
  const realtime = new AppSyncRealtimeLink({ realtimeUrl: config.realtimeUrl, graphqlUrl: config.graphqlUrl, token });
  return new ApolloClient({
    link: ApolloLink.split(isSubscription, realtime, http),
    // The chat keeps its own ordered, de-duplicated lists (data/feed.ts); nothing is
    // normalised, so event-rate traffic never touches the cache.
    cache: new InMemoryCache(),
    defaultOptions: {
      query: { fetchPolicy: 'no-cache' },
      mutate: { fetchPolicy: 'no-cache' },
    },
  });
}
