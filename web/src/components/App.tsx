import { ApolloProvider } from '@apollo/client/react';
import type { User } from 'oidc-client-ts';
import { getCurrentUser, signOut as amplifySignOut } from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { attendeeIdToken, attendeeName, claimsModerator, completeRedirect, createUserManager } from '../attendeeAuth';
import { idToken, isModerator } from '../auth';
import i18n from '../i18n';
import type { ClientConfig, OidcConfig } from '../config';
import { createChatClient } from '../data/client';
import { EventsChannels, EventsContext } from '../data/eventsChannel';
import { isFramed, listenForTokens } from '../embeddedToken';
import { ChatRoom } from './ChatRoom';

/** The room named in the URL (`?room=<roomId>`), `lobby` by default. */
export function roomFromLocation(search: string): string {
  return new URLSearchParams(search).get('room')?.trim() || 'lobby';
}

interface SignedInProps {
  config: ClientConfig;
  username: string;
  /** The user's stable id (the token's sub: what their messages carry as sender). */
  userId: string;
  /** The token every request and subscription carries (renewed by whoever signed the user in). */
  token: () => Promise<string>;
  moderator: () => Promise<boolean>;
  signOut: () => void;
}

function SignedIn({ config, username, userId, token, moderator: isModeratorNow, signOut }: SignedInProps) {
  // One client (and one WebSocket) per signed-in user; a new user gets a fresh cache.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the token source of one user never changes
  const client = useMemo(() => createChatClient(config, token), [config]);
  // events stacks: rooms' live messages come on Event API channels, with the same token
  // eslint-disable-next-line react-hooks/exhaustive-deps -- as the client: one user's token source
  const channels = useMemo(() => (config.events ? new EventsChannels(config.events.realtimeUrl, config.events.url, token) : null), [config]);
  const [moderator, setModerator] = useState(false);
  const roomId = roomFromLocation(window.location.search);

  useEffect(() => {
    let current = true;
    isModeratorNow().then(
      (value) => current && setModerator(value),
      () => current && setModerator(false),
    );
    return () => {
      current = false;
      void client.clearStore();
    };
  }, [client, isModeratorNow]);

  return (
    <ApolloProvider client={client}>
      <EventsContext.Provider value={channels}>
      <ChatRoom
        key={roomId}
        roomId={roomId}
        fanOutMode={config.fanOutMode}
        username={username}
        userId={userId}
        moderator={moderator}
        signOut={signOut}
      />
      </EventsContext.Provider>
    </ApolloProvider>
  );
}

/** Staff and moderators (and attendees of cognito stacks): the stack's Cognito pool. "Create
 * Account" only where the pool lets people sign themselves up (admin-only pools: staff are
 * created by administrators). */
function CognitoSignIn({ config }: { config: ClientConfig }) {
  const user = useCognitoUser();
  const { t } = useTranslation();
  if (user === undefined) {
    return (
      <main className="sign-in">
        <p role="status">{t('Signing in…')}</p>
      </main>
    );
  }
  if (user) {
    return (
      <SignedIn
        key={user.userId}
        config={config}
        username={user.username}
        userId={user.userId}
        token={idToken}
        moderator={isModerator}
        signOut={() => void amplifySignOut()}
      />
    );
  }
  // Signed out: a page of its own (main landmark, heading) around Amplify's form.
  return (
    <main className="sign-in">
      <h1>{t('Event chat')}</h1>
      <p className="sign-in-room">#{roomFromLocation(window.location.search)}</p>
      <Suspense fallback={<p role="status">{t('Loading…')}</p>}>
        <CognitoSignInForm selfSignUp={config.selfSignUp} />
      </Suspense>
    </main>
  );
}

const CognitoSignInForm = lazy(() => import('./CognitoSignInForm'));

/** The Cognito user Amplify holds (undefined while it looks; null: signed out), kept current by its auth events. */
function useCognitoUser(): { userId: string; username: string } | null | undefined {
  const [user, setUser] = useState<{ userId: string; username: string } | null | undefined>(undefined);
  useEffect(() => {
    let current = true;
    const look = () =>
      getCurrentUser().then(
        (found) => current && setUser({ userId: found.userId, username: found.username }),
        () => current && setUser(null),
      );
    void look();
    const stop = Hub.listen('auth', ({ payload }) => {
      if (payload.event === 'signedIn' || payload.event === 'signedOut' || payload.event === 'tokenRefresh_failure') {
        void look();
      }
    });
    return () => {
      current = false;
      stop();
    };
  }, []);
  return user;
}

type AttendeeState = { status: 'loading' } | { status: 'signedOut'; problem?: string } | { status: 'signedIn'; user: User };

/** Attendees of oidc stacks: signed in by the event platform (redirect, PKCE). */
function AttendeeSignIn({ config, oidc }: { config: ClientConfig; oidc: OidcConfig }) {
  const { t } = useTranslation();
  const manager = useMemo(() => createUserManager(oidc), [oidc]);
  const [state, setState] = useState<AttendeeState>({ status: 'loading' });
  const room = roomFromLocation(window.location.search);

  useEffect(() => {
    let current = true;
    completeRedirect(manager).then(
      (user) => current && setState(user && !user.expired ? { status: 'signedIn', user } : { status: 'signedOut' }),
      (error: unknown) =>
        current &&
        setState({
          status: 'signedOut',
          problem: i18n.t('Signing in at the event platform did not finish ({{reason}}). Join again.', {
            reason: error instanceof Error ? error.message : String(error),
          }),
        }),
    );
    // A silent renewal loads the same attendee again: the chat (draft, subscriptions) stays.
    const loaded = (user: User) => setState({ status: 'signedIn', user });
    const ended = () =>
      setState({ status: 'signedOut', problem: i18n.t('Your session at the event platform ended. Join again to keep chatting.') });
    manager.events.addUserLoaded(loaded);
    manager.events.addSilentRenewError(ended);
    return () => {
      current = false;
      manager.events.removeUserLoaded(loaded);
      manager.events.removeSilentRenewError(ended);
    };
  }, [manager]);

  const token = useMemo(() => () => attendeeIdToken(manager), [manager]);
  const user = state.status === 'signedIn' ? state.user : null;
  const moderator = useMemo(() => async () => (user ? claimsModerator(user.profile, oidc.moderatorClaim) : false), [user, oidc]);

  if (state.status === 'loading') {
    return (
      <main className="join">
        <p role="status">{t('Signing in…')}</p>
      </main>
    );
  }
  if (state.status === 'signedIn') {
    return (
      <SignedIn
        key={state.user.profile.sub}
        config={config}
        username={attendeeName(state.user)}
        userId={state.user.profile.sub}
        token={token}
        moderator={moderator}
        signOut={() => {
          void manager.removeUser().then(() => setState({ status: 'signedOut' }));
        }}
      />
    );
  }
  return (
    <main className="join">
      <h1>{t('Join the chat')}</h1>
      {state.problem && <p role="alert">{state.problem}</p>}
      <p>{t('You sign in with your event account.')}</p>
      <button type="button" onClick={() => void manager.signinRedirect({ state: { room } })}>
        {t('Join chat')}
      </button>
      <p>
        <a href={`?room=${encodeURIComponent(room)}&staff`}>{t('Staff sign-in')}</a>
      </p>
    </main>
  );
}

/** Embedded in the event platform's page: the host hands the attendee's token (postMessage). */
function EmbeddedAttendee({ config, oidc }: { config: ClientConfig; oidc: OidcConfig }) {
  const { t } = useTranslation();
  const latest = useMemo(() => ({ token: '' }), []);
  const [attendee, setAttendee] = useState<{ sub: string; name: string; moderator: boolean } | null>(null);

  useEffect(
    () =>
      listenForTokens(config.embedOrigins, (token, claims) => {
        latest.token = token;
        const moderator = claimsModerator(claims, oidc.moderatorClaim);
        const name = typeof claims.name === 'string' && claims.name ? claims.name : String(claims.sub ?? '');
        // A renewed token for the same attendee keeps the chat (draft, subscriptions) as it is.
        setAttendee((previous) =>
          previous && previous.sub === String(claims.sub) ? previous : { sub: String(claims.sub), name, moderator },
        );
      }),
    [config.embedOrigins, oidc, latest],
  );
  const token = useMemo(() => async () => latest.token, [latest]);
  const moderator = useMemo(() => async () => attendee?.moderator ?? false, [attendee]);

  if (!attendee) {
    return (
      <main className="join">
        <p role="status">{t('Waiting for the event page to sign you in…')}</p>
      </main>
    );
  }
  return (
    <SignedIn key={attendee.sub} config={config} username={attendee.name} userId={attendee.sub} token={token} moderator={moderator} signOut={() => setAttendee(null)} />
  );
}

export function App({ config }: { config: ClientConfig }) {
  const staff = new URLSearchParams(window.location.search).has('staff');
  if (config.attendeeAuth === 'oidc' && config.oidc && !staff) {
    if (isFramed() && config.embedOrigins.length > 0) {
      return <EmbeddedAttendee config={config} oidc={config.oidc} />;
    }
    return <AttendeeSignIn config={config} oidc={config.oidc} />;
  }
  return <CognitoSignIn config={config} />;
}
