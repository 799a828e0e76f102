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

/** The roles of API.md, least first; each includes the ones before it. */
export const ROLES = ['viewer', 'caller', 'operator', 'admin'];

const rank = (role) => ROLES.indexOf(role);

/**
 * What the signed-in credentials may do for one client, from GET /v1/me: the console offers only
 * that, and says why a control is off. The API checks every request anyway (403 FORBIDDEN_ACTION).
 */
export class Access {
  /**
   * @param {{ actor: string, clients: Array<{ clientId: string, role: string }> }} me
   * @param {string} [clientId]  without one: the highest role for any client
   */
  constructor(me, clientId) {
    this.actor = me.actor;
    const roles = me.clients.filter((entry) => clientId === undefined || entry.clientId === clientId || entry.clientId === '*').map((entry) => entry.role);
    this.role = roles.sort((a, b) => rank(b) - rank(a))[0];
  }

  /** Whether the role includes `needed`. */
  may(needed) {
    return this.role !== undefined && rank(this.role) >= rank(needed);
  }

  /** Why `what` is off for this role, or undefined when it may. */
  why(needed, what) {
    if (this.may(needed)) return undefined;
    const held = this.role ? `${/^[aeiou]/.test(this.role) ? 'an' : 'a'} ${this.role}` : 'not allowed';
    return `${what} needs the ${needed} role; you are ${held} here.`;
  }

  /** Attributes for a control that needs `needed`: disabled with a title saying why, or none. */
  guard(needed, what) {
    const reason = this.why(needed, what);
    return reason ? { disabled: true, title: reason, 'aria-disabled': 'true' } : {};
  }
}
