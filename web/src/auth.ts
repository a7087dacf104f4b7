// Amplify Auth (Cognito) for the stack in config.json: sign-in state lives in Amplify's
// token store (localStorage), so a reload keeps the session; fetchAuthSession() refreshes
// expired tokens with the refresh token before handing them out.
import { Amplify } from 'aws-amplify';
import { fetchAuthSession } from 'aws-amplify/auth';

import type { ClientConfig } from './config';

export const MODERATORS_GROUP = 'moderators';

export function configureAuth(config: ClientConfig): void {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.userPoolClientId,
        ...(config.cognitoEndpoint ? { userPoolEndpoint: config.cognitoEndpoint } : {}),
        // The pool signs in by username (email is an alias) and verifies email on sign-up.
        loginWith: { username: true, email: false },
        signUpVerificationMethod: 'code',
        userAttributes: { email: { required: true } },
      },
    },
  });
}

/** The signed-in user's ID token (refreshed if expired); AppSync reads the caller from it. */
export async function idToken(): Promise<string> {
  const session = await fetchAuthSession();
  const token = session.tokens?.idToken?.toString();
  if (!token) {
    throw new Error('Not signed in.');
  }
  return token;
}

/** Whether the ID token puts the user in the pool's moderators group. */
export async function isModerator(): Promise<boolean> {
  const session = await fetchAuthSession();
  const groups = session.tokens?.idToken?.payload['cognito:groups'];
  return Array.isArray(groups) && groups.includes(MODERATORS_GROUP);
}
