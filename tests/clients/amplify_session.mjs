// aws-amplify v6 against `chatstack local --tls`, configured as a front end would be: Auth
// (SRP sign-in, refresh) through Auth.Cognito.userPoolEndpoint, then generateClient()
// subscription, mutation and query over https/wss.
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/api';
import { nextLine, outputs, report, run, within } from './harness.mjs';
import { operation } from './operations.mjs';

const { CHATSTACK_USERNAME: username, CHATSTACK_PASSWORD: password, CHATSTACK_ROOM: roomId } = process.env;

const ON_SEND = operation('OnSendMessage');
const SEND = operation('SendMessage');
const HISTORY = operation('GetMessages');

await run(async () => {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: outputs.userPoolId,
        userPoolClientId: outputs.userPoolClientId,
        userPoolEndpoint: outputs.cognitoEndpoint,
      },
    },
    API: { GraphQL: { endpoint: outputs.graphqlUrl, region: outputs.region, defaultAuthMode: 'userPool' } },
  });

  const signedIn = await signIn({ username, password }); // Amplify's default flow: USER_SRP_AUTH
  const first = await fetchAuthSession();
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a later iat, so a refreshed token differs
  const refreshed = await fetchAuthSession({ forceRefresh: true }); // GetTokensFromRefreshToken
  report('auth', {
    isSignedIn: signedIn.isSignedIn,
    nextStep: signedIn.nextStep?.signInStep,
    idToken: first.tokens?.idToken?.toString(),
    refreshedIdToken: refreshed.tokens?.idToken?.toString(),
  });

  const client = generateClient();
  const received = new Promise((resolve, reject) => {
    const subscription = client.graphql({ query: ON_SEND, variables: { roomId } }).subscribe({
      next: ({ data }) => { subscription.unsubscribe(); resolve(data.onSendMessage); },
      error: (error) => reject(new Error(JSON.stringify(error?.errors ?? error?.error ?? error))),
    });
  });
  report('subscribing', { roomId });
  await within(15000, nextLine(), 'the go line');
  const sent = await client.graphql({ query: SEND, variables: { roomId, message: 'hello from Amplify' } });
  const event = await within(10000, received, 'the subscription event');
  const history = await client.graphql({ query: HISTORY, variables: { roomId, limit: 10 } });
  report('graphql', { sent: sent.data.sendMessage, received: event, history: history.data.getMessages });
});
