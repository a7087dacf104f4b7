// The client's run-time configuration: config.json beside index.html, written from the
// stack's outputs (by `chatstack local` or the ChatWebApp component), so one build serves
// every event.

export type FanOutMode = 'perMessage' | 'batched' | 'events';
export type AttendeeAuth = 'cognito' | 'oidc';

/** oidc stacks: the event platform's OpenID Connect issuer that signs attendees in. */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  /** chatstack:oidcModeratorClaim: CLAIM (must be true) or CLAIM=VALUE; '' = none. */
  moderatorClaim: string;
}

export interface ClientConfig {
  graphqlUrl: string;
  realtimeUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  fanOutMode: FanOutMode;
  attendeeAuth: AttendeeAuth;
  /** Whether the pool lets people sign themselves up ("Create Account"); staff-only pools do not. */
  selfSignUp: boolean;
  oidc?: OidcConfig;
  /** Origins that may frame the client and hand it an attendee token (chatstack:webAppEmbedOrigins). */
  embedOrigins: string[];
  /** events stacks: the Event API's HTTP and WebSocket endpoints (rooms' channels). */
  events?: { url: string; realtimeUrl: string };
  // Only the local stack sets it: where its Cognito-compatible endpoint listens.
  cognitoEndpoint?: string;
}

const REQUIRED_STRINGS = ['graphqlUrl', 'realtimeUrl', 'region', 'userPoolId', 'userPoolClientId'] as const;
const FAN_OUT_MODES: readonly FanOutMode[] = ['perMessage', 'batched', 'events'];

export class ConfigError extends Error {}

/** Checks a parsed config.json; a ConfigError names the key that is wrong. */
export function parseConfig(raw: unknown): ClientConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('config.json must be a JSON object of the stack outputs.');
  }
  const values = raw as Record<string, unknown>;
  for (const key of REQUIRED_STRINGS) {
    const value = values[key];
    if (typeof value !== 'string' || value === '') {
      throw new ConfigError(`config.json: "${key}" is missing or not a string (it comes from the stack output ${key}).`);
    }
  }
  const fanOutMode = values.fanOutMode ?? 'perMessage';
  if (!FAN_OUT_MODES.includes(fanOutMode as FanOutMode)) {
    throw new ConfigError(`config.json: "fanOutMode" is ${JSON.stringify(fanOutMode)}; expected perMessage, batched or events.`);
  }
  let events: ClientConfig['events'];
  if (fanOutMode === 'events') {
    for (const key of ['eventsUrl', 'eventsRealtimeUrl'] as const) {
      if (typeof values[key] !== 'string' || values[key] === '') {
        throw new ConfigError(`config.json: "${key}" is missing; an events stack's rooms are channels of its Event API.`);
      }
    }
    events = { url: values.eventsUrl as string, realtimeUrl: values.eventsRealtimeUrl as string };
  }
  const attendeeAuth = values.attendeeAuth ?? 'cognito';
  if (attendeeAuth !== 'cognito' && attendeeAuth !== 'oidc') {
    throw new ConfigError(`config.json: "attendeeAuth" is ${JSON.stringify(attendeeAuth)}; expected cognito or oidc.`);
  }
  let oidc: OidcConfig | undefined;
  if (attendeeAuth === 'oidc') {
    for (const key of ['oidcIssuer', 'oidcClientId'] as const) {
      if (typeof values[key] !== 'string' || values[key] === '') {
        throw new ConfigError(`config.json: "${key}" is missing; an oidc stack's attendees sign in at its issuer.`);
      }
    }
    oidc = {
      issuer: values.oidcIssuer as string,
      clientId: values.oidcClientId as string,
      scopes: typeof values.oidcScopes === 'string' && values.oidcScopes ? values.oidcScopes : 'openid profile',
      moderatorClaim: typeof values.oidcModeratorClaim === 'string' ? values.oidcModeratorClaim : '',
    };
  }
  // Absent from an older config.json: Cognito stacks' pools allow sign-up, oidc stacks' are staff-only.
  const selfSignUp = values.selfSignUp ?? attendeeAuth === 'cognito';
  if (typeof selfSignUp !== 'boolean') {
    throw new ConfigError(`config.json: "selfSignUp" is ${JSON.stringify(selfSignUp)}; expected true or false.`);
  }
  const embedOrigins = values.embedOrigins ?? [];
  if (!Array.isArray(embedOrigins) || embedOrigins.some((o) => typeof o !== 'string')) {
    throw new ConfigError('config.json: "embedOrigins" must be a list of origins when present.');
  }
  const cognitoEndpoint = values.cognitoEndpoint;
  if (cognitoEndpoint !== undefined && typeof cognitoEndpoint !== 'string') {
    throw new ConfigError('config.json: "cognitoEndpoint" must be a URL string when present.');
  }
  return {
    graphqlUrl: values.graphqlUrl as string,
    realtimeUrl: values.realtimeUrl as string,
    region: values.region as string,
    userPoolId: values.userPoolId as string,
    userPoolClientId: values.userPoolClientId as string,
    fanOutMode: fanOutMode as FanOutMode,
    attendeeAuth,
    selfSignUp,
    oidc,
    embedOrigins: embedOrigins as string[],
    events,
    cognitoEndpoint: cognitoEndpoint || undefined,
  };
}

export async function loadConfig(): Promise<ClientConfig> {
  const url = new URL('config.json', document.baseURI);
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (error) {
    throw new ConfigError(`Could not fetch ${url}: ${String(error)}`);
  }
  if (!response.ok) {
    throw new ConfigError(`Could not fetch ${url}: HTTP ${response.status}.`);
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError(`${url} is not valid JSON.`);
  }
  return parseConfig(raw);
}
