// Apollo Client 3 + aws-appsync-auth-link + aws-appsync-subscription-link
// (AMAZON_COGNITO_USER_POOLS), wired as the links' README wires them: subscribe, send,
// receive, query. CHATSTACK_SUBSCRIPTION picks onSendMessage or onMessageBatch.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { AUTH_TYPE, createAuthLink } from 'aws-appsync-auth-link';
import { createSubscriptionHandshakeLink } from 'aws-appsync-subscription-link';
import { nextLine, outputs, report, run, within } from './harness.mjs';
import { operation } from './operations.mjs';

const { CHATSTACK_TOKEN: token, CHATSTACK_ROOM: roomId, CHATSTACK_SUBSCRIPTION: field = 'onSendMessage' } = process.env;
const MESSAGES = Number(process.env.CHATSTACK_MESSAGES ?? 1);

const SUBSCRIPTIONS = {
  onSendMessage: gql(operation('OnSendMessage')),
  onMessageBatch: gql(operation('OnMessageBatch')),
};
const SEND = gql(operation('SendMessage'));
const HISTORY = gql(operation('GetMessages'));

await run(async () => {
  const url = outputs.graphqlUrl;
  const region = outputs.region;
  const auth = { type: AUTH_TYPE.AMAZON_COGNITO_USER_POOLS, jwtToken: async () => token };
  const client = new ApolloClient({
    link: ApolloLink.from([
      createAuthLink({ url, region, auth }),
      createSubscriptionHandshakeLink({ url, region, auth }, new HttpLink({ uri: url })),
    ]),
    cache: new InMemoryCache(),
  });

  const events = [];
  let wanted = () => false;
  let arrived;
  const complete = new Promise((resolve) => { arrived = resolve; });
  const subscription = client.subscribe({ query: SUBSCRIPTIONS[field], variables: { roomId } }).subscribe({
    next: (result) => {
      if (!result.data?.[field]) return; // the link's start_ack control message
      events.push(result.data[field]);
      if (wanted()) arrived();
    },
    error: (error) => arrived(Promise.reject(new Error(JSON.stringify(error?.errors ?? error?.message ?? error)))),
  });
  report('subscribing', { roomId, field });
  await within(15000, nextLine(), 'the go line');

  const sent = [];
  for (let i = 0; i < MESSAGES; i += 1) {
    const result = await client.mutate({ mutation: SEND, variables: { roomId, message: `apollo ${i}` } });
    sent.push(result.data.sendMessage);
  }
  const ids = new Set(sent.map((m) => m.messageId));
  const seen = () => events.flatMap((e) => (field === 'onMessageBatch' ? e.messages.map((m) => m.i) : [e.messageId]));
  wanted = () => [...ids].every((id) => seen().includes(id));
  if (wanted()) arrived();
  await within(10000, complete, `${field} events`);
  subscription.unsubscribe();
  const history = await client.query({ query: HISTORY, variables: { roomId, limit: 10 }, fetchPolicy: 'network-only' });
  report('graphql', { sent, events, history: history.data.getMessages });
});
