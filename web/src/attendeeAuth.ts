// Attendees of oidc stacks sign in at the event platform: OpenID Connect Authorization Code
// with PKCE (S256) through oidc-client-ts. The user (ID and refresh tokens) is kept in
// sessionStorage — never localStorage — and renewed with the refresh token before it expires.
// The room travels through the redirect in the OIDC state.
import { User, UserManager, WebStorageStateStore } from 'oidc-client-ts';

import type { OidcConfig } from './config';

export function createUserManager(oidc: OidcConfig): UserManager {
  const redirect = `${window.location.origin}${window.location.pathname}`;
  return new UserManager({
    authority: oidc.issuer,
    client_id: oidc.clientId,
    redirect_uri: redirect,
    post_logout_redirect_uri: redirect,
    response_type: 'code',
    scope: oidc.scopes,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: true,
    // Renew a minute before the ID token expires (the chat sends it with every request).
    accessTokenExpiringNotificationTimeInSeconds: 60,
    loadUserInfo: false,
  });
}

/** Back from the issuer (`?code=&state=`): finish the sign-in, restore the room, clean the URL. */
export async function completeRedirect(manager: UserManager): Promise<User | null> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('state') || !(params.has('code') || params.has('error'))) {
    return manager.getUser();
  }
  const user = await manager.signinRedirectCallback();
  const room = (user.state as { room?: string } | undefined)?.room;
  window.history.replaceState(null, '', `${window.location.pathname}${room ? `?room=${encodeURIComponent(room)}` : ''}`);
  return user;
}

/** The ID token to send, renewed first if it has expired (the refresh token is in the session). */
export async function attendeeIdToken(manager: UserManager): Promise<string> {
  let user = await manager.getUser();
  if (user && user.expired) {
    user = await manager.signinSilent();
  }
  if (!user?.id_token) {
    throw new Error('Not signed in.');
  }
  return user.id_token;
}

/** Whether a token's claims carry the stack's moderator claim (CLAIM = true, or CLAIM=VALUE / a list holding it). */
export function claimsModerator(claims: Record<string, unknown>, moderatorClaim: string): boolean {
  if (!moderatorClaim) {
    return false;
  }
  const [claim, wanted] = moderatorClaim.split('=', 2);
  const value = claims[claim];
  if (wanted === undefined) {
    return value === true;
  }
  return value === wanted || (Array.isArray(value) && value.includes(wanted));
}

/** The display name the stack reads (the profile's name claim, else the subject). */
export function attendeeName(user: User): string {
  const name = user.profile.name ?? user.profile.nickname ?? user.profile.preferred_username;
  return typeof name === 'string' && name ? name : user.profile.sub;
}
