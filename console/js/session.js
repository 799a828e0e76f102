import { ApiError } from './api.js';
import { CognitoSession } from './cognito.js';

/**
 * Who the console acts as. Two kinds, chosen by config.json: a bearer token (the local runtime,
 * API.md "Authentication") kept in sessionStorage so it ends with the tab, or a Cognito sign-in
 * whose identity-pool credentials sign each request with SigV4 (the deployed stack).
 */

const TOKEN_KEY = 'jsm.token';

export class TokenSession {
  constructor(storage = window.sessionStorage) {
    this.mode = 'token';
    this.storage = storage;
  }

  get signedIn() {
    return Boolean(this.storage.getItem(TOKEN_KEY));
  }

  signIn(token) {
    this.storage.setItem(TOKEN_KEY, token.trim());
  }

  signOut() {
    this.storage.removeItem(TOKEN_KEY);
  }

  /** Who is signed in, without the secret: the token's last four characters. */
  describe() {
    const token = this.storage.getItem(TOKEN_KEY) ?? '';
    return token ? `Token …${token.slice(-4)}` : '';
  }

  async authorize() {
    const token = this.storage.getItem(TOKEN_KEY);
    if (!token) throw new ApiError(401, 'SIGNED_OUT', 'Sign in with a token first.');
    return { authorization: `Bearer ${token}` };
  }
}

/** The console's deployment settings; the local runtime serves `{ "auth": { "mode": "token" } }`. */
export async function loadConfig() {
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (response.ok) return await response.json();
  } catch {
    // No config: the local runtime's token sign-in.
  }
  return { auth: { mode: 'token' } };
}

export function createSession(config) {
  return config?.auth?.mode === 'cognito' ? new CognitoSession(config) : new TokenSession();
}
