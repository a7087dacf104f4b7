// Embedded attendees: a host page of the event platform, listed in chatstack:webAppEmbedOrigins,
// frames the chat and hands it the attendee's ID token:
//   host -> chat:  postMessage({ type: 'chatstack:token', token }, chatOrigin)
//   chat -> host:  postMessage({ type: 'chatstack:token-request' }, hostOrigin)  (on load, and a
//                  minute before the token expires)
// Messages from any other origin are ignored and never answered; requests go only to listed origins.

const RENEW_BEFORE_EXPIRY_MS = 60_000;

export const TOKEN_MESSAGE = 'chatstack:token';
export const TOKEN_REQUEST = 'chatstack:token-request';

/** Whether this page is framed (the embedded mode needs a parent to talk to). */
export function isFramed(): boolean {
  return window.parent !== window;
}

interface Claims {
  exp?: unknown;
  sub?: unknown;
  [claim: string]: unknown;
}

/** The token's claims (not verified here: AppSync verifies every request). */
export function claimsOf(token: string): Claims | null {
  const part = token.split('.')[1];
  if (!part) {
    return null;
  }
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

/** Listens for tokens from the allowed origins; calls onToken with each new one. Returns a stop function. */
export function listenForTokens(allowed: readonly string[], onToken: (token: string, claims: Claims) => void): () => void {
  let hostOrigin: string | null = null;
  let renewal: number | undefined;
  const request = () => {
    // Before the host has spoken, ask every listed origin: postMessage drops it for any other.
    for (const origin of hostOrigin ? [hostOrigin] : allowed) {
      window.parent.postMessage({ type: TOKEN_REQUEST }, origin);
    }
  };
  const receive = (event: MessageEvent) => {
    if (!allowed.includes(event.origin) || event.source !== window.parent) {
      return; // not our host: ignored, never answered
    }
    const data = event.data as { type?: unknown; token?: unknown } | null;
    if (!data || data.type !== TOKEN_MESSAGE || typeof data.token !== 'string') {
      return;
    }
    const claims = claimsOf(data.token);
    if (!claims || typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      return;
    }
    hostOrigin = event.origin;
    window.clearTimeout(renewal);
    const wait = claims.exp * 1000 - Date.now() - RENEW_BEFORE_EXPIRY_MS;
    renewal = window.setTimeout(request, Math.max(1_000, wait));
    onToken(data.token, claims);
  };
  window.addEventListener('message', receive);
  request();
  return () => {
    window.removeEventListener('message', receive);
    window.clearTimeout(renewal);
  };
}
