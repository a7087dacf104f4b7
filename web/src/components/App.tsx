import { ApolloProvider } from '@apollo/client/react';
import { Authenticator } from '@aws-amplify/ui-react';
import { useEffect, useMemo, useState } from 'react';

import { idToken, isModerator } from '../auth';
import type { ClientConfig } from '../config';
import { createChatClient } from '../data/client';
import { ChatRoom } from './ChatRoom';

/** The room named in the URL (`?room=<roomId>`), `lobby` by default. */
export function roomFromLocation(search: string): string {
  return new URLSearchParams(search).get('room')?.trim() || 'lobby';
}

interface SignedInProps {
  config: ClientConfig;
  username: string;
  signOut: () => void;
}

function SignedIn({ config, username, signOut }: SignedInProps) {
  // One client (and one WebSocket) per signed-in user; a new user gets a fresh cache.
  const client = useMemo(() => createChatClient(config, idToken), [config]);
  const [moderator, setModerator] = useState(false);
  const roomId = roomFromLocation(window.location.search);

  useEffect(() => {
    let current = true;
    isModerator().then(
      (value) => current && setModerator(value),
      () => current && setModerator(false),
    );
    return () => {
      current = false;
      void client.clearStore();
    };
  }, [client]);

  return (
    <ApolloProvider client={client}>
      <ChatRoom
        key={roomId}
        roomId={roomId}
        fanOutMode={config.fanOutMode}
        username={username}
        moderator={moderator}
        signOut={signOut}
      />
    </ApolloProvider>
  );
}

export function App({ config }: { config: ClientConfig }) {
  return (
    <Authenticator loginMechanisms={['username']} signUpAttributes={['email']}>
      {({ signOut, user }) => (
        <SignedIn key={user?.userId} config={config} username={user?.username ?? ''} signOut={() => signOut?.()} />
      )}
    </Authenticator>
  );
}
