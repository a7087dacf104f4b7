// aws-amplify v6's own Events client (`events` from aws-amplify/data) against an events stack's
// Event API over TLS, configured as a front end would be: signs in (SRP), connects to the room's
// channel with its user-pool token, reports each event it receives until it holds
// CHATSTACK_MESSAGES messages (or the subscription's refusal), then tries to publish (which
// only the stack's fan-out consumer may).
import { Amplify } from 'aws-amplify';
import { signIn } from 'aws-amplify/auth';
import { events } from 'aws-amplify/data';
import { nextLine, outputs, report, run, within } from './harness.mjs';

const { CHATSTACK_USERNAME: username, CHATSTACK_PASSWORD: password, CHATSTACK_ROOM: roomId } = process.env;
const MESSAGES = Number(process.env.CHATSTACK_MESSAGES ?? 1);

await run(async () => {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: outputs.userPoolId,
        userPoolClientId: outputs.userPoolClientId,
        userPoolEndpoint: outputs.cognitoEndpoint,
      },
    },
    API: { Events: { endpoint: outputs.eventsUrl, region: outputs.region, defaultAuthMode: 'userPool' } },
  });
  await signIn({ username, password });

  const channel = await events.connect(`/rooms/${roomId}`);
  const received = [];
  let settle;
  const done = new Promise((resolve, reject) => { settle = { resolve, reject }; });
  const subscription = channel.subscribe({
    next: (data) => {
      received.push(data.event);
      if (received.flatMap((e) => e.messages ?? []).length >= MESSAGES) settle.resolve();
    },
    error: (error) => settle.reject(error),
  });
  try {
    await within(15000, subscription.ready, 'the subscribe_success');
  } catch (error) {
    report('refused', { message: error?.message ?? String(error), errors: error?.errors ?? null });
    channel.close();
    return;
  }
  report('subscribing', { roomId });
  await within(15000, nextLine(), 'the go line');
  await within(20000, done, `${MESSAGES} messages`);
  let published;
  try {
    published = await channel.publish({ kind: 'batch', messages: [{ i: 'forged', s: 0, x: 'not from the stack' }] });
  } catch (error) {
    published = { refused: error?.message ?? String(error) };
  }
  channel.close();
  report('events', { received, published });
});
