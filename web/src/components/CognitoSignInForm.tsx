// Amplify's sign-in form (Authenticator), loaded only when someone is signed out: its code and
// styles are most of what the page would otherwise load up front.
import '@aws-amplify/ui-react/styles.css';

import { Authenticator } from '@aws-amplify/ui-react';

export default function CognitoSignInForm({ selfSignUp }: { selfSignUp: boolean }) {
  return <Authenticator loginMechanisms={['username']} signUpAttributes={['email']} hideSignUp={!selfSignUp} />;
}
