import { ApiError } from './api.js';
import { signRequest } from './sigv4.js';

/**
 * The deployed console's sign-in: Cognito managed login (authorization code + PKCE), then the
 * identity pool trades the ID token for temporary AWS credentials of the role the user's group
 * maps to, and every API request is signed with them (SigV4, service execute-api). API Gateway's
 * IAM authorization checks the signature; the API maps the role to the clients it may act for
 * (README, "The operator console deployed").
 *
 * Tokens live in sessionStorage (they end with the tab); AWS credentials only in memory.
 */

const TOKENS_KEY = 'jsm.cognito.tokens';
const PKCE_KEY = 'jsm.cognito.pkce';
/** Renew credentials and tokens this long before they expire, so a request never races expiry. */
const EARLY_MS = 120_000;

function base64Url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function randomString(bytes = 32) {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The claims of a JWT, unverified: only for expiry and display; the API never trusts them. */
export function jwtClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '=')));
  } catch {
    return {};
  }
}

export class CognitoSession {
  /**
   * @param {{ auth: { region: string, userPoolId: string, userPoolClientId: string, identityPoolId: string, domain: string },
   *           api: { host: string, pathPrefix: string, region: string } }} config
   */
  constructor(config, { storage = window.sessionStorage, location = window.location, history = window.history } = {}) {
    this.mode = 'cognito';
    this.auth = config.auth;
    this.api = config.api;
    this.storage = storage;
    this.location = location;
    this.history = history;
    this.cached = undefined;
  }

  get redirectUri() {
    return `${this.location.origin}/`;
  }

  get tokens() {
    try {
      return JSON.parse(this.storage.getItem(TOKENS_KEY) ?? 'null');
    } catch {
      return null;
    }
  }

  get signedIn() {
    return Boolean(this.tokens?.idToken);
  }

  describe() {
    const claims = jwtClaims(this.tokens?.idToken ?? '');
    return claims.email ?? claims['cognito:username'] ?? '';
  }

  /** Sends the browser to managed login; it comes back to `/` with ?code=…&state=…. */
  async beginSignIn() {
    const verifier = randomString(48);
    const state = randomString(16);
    this.storage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
    const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const url = new URL('/oauth2/authorize', this.auth.domain);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.auth.userPoolClientId,
      redirect_uri: this.redirectUri,
      scope: 'openid email profile',
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    this.location.assign(url.toString());
  }

  /** On the way back from managed login: trades the code for tokens. True when signed in. */
  async completeSignIn() {
    const params = new URLSearchParams(this.location.search);
    const code = params.get('code');
    if (!code) return this.signedIn;
    const pkce = JSON.parse(this.storage.getItem(PKCE_KEY) ?? 'null');
    this.storage.removeItem(PKCE_KEY);
    this.history.replaceState(null, '', `${this.location.pathname}${this.location.hash}`);
    if (!pkce || pkce.state !== params.get('state')) throw new ApiError(401, 'SIGN_IN_FAILED', 'The sign-in response did not match this tab’s request; sign in again.');
    const tokens = await this.tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri, code_verifier: pkce.verifier });
    this.storeTokens(tokens);
    return true;
  }

  signOut() {
    this.storage.removeItem(TOKENS_KEY);
    this.cached = undefined;
    const url = new URL('/logout', this.auth.domain);
    url.search = new URLSearchParams({ client_id: this.auth.userPoolClientId, logout_uri: this.redirectUri }).toString();
    this.location.assign(url.toString());
  }

  async authorize(request) {
    const credentials = await this.credentials();
    return signRequest({
      method: request.method,
      host: this.api.host,
      path: `${this.api.pathPrefix}${request.path}`,
      query: request.query,
      body: request.body ?? '',
      region: this.api.region,
      service: 'execute-api',
      credentials,
    });
  }

  async credentials() {
    if (this.cached && this.cached.expiresAt - EARLY_MS > Date.now()) return this.cached;
    const idToken = await this.idToken();
    const logins = { [`cognito-idp.${this.auth.region}.amazonaws.com/${this.auth.userPoolId}`]: idToken };
    const { IdentityId } = await this.identityCall('GetId', { IdentityPoolId: this.auth.identityPoolId, Logins: logins });
    const { Credentials } = await this.identityCall('GetCredentialsForIdentity', { IdentityId, Logins: logins });
    this.cached = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretKey,
      sessionToken: Credentials.SessionToken,
      expiresAt: Number(Credentials.Expiration) * 1000,
    };
    return this.cached;
  }

  async idToken() {
    const tokens = this.tokens;
    if (!tokens?.idToken) throw new ApiError(401, 'SIGNED_OUT', 'Sign in first.');
    if ((jwtClaims(tokens.idToken).exp ?? 0) * 1000 - EARLY_MS > Date.now()) return tokens.idToken;
    if (!tokens.refreshToken) throw new ApiError(401, 'SIGNED_OUT', 'The sign-in has expired; sign in again.');
    const renewed = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
    this.storeTokens({ ...renewed, refresh_token: renewed.refresh_token ?? tokens.refreshToken });
    return renewed.id_token;
  }

  storeTokens(tokens) {
    this.storage.setItem(TOKENS_KEY, JSON.stringify({ idToken: tokens.id_token, refreshToken: tokens.refresh_token }));
    this.cached = undefined;
  }

  async tokenRequest(form) {
    const response = await fetch(new URL('/oauth2/token', this.auth.domain), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: this.auth.userPoolClientId, ...form }).toString(),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      this.storage.removeItem(TOKENS_KEY);
      throw new ApiError(401, 'SIGN_IN_FAILED', `Sign-in failed: ${body.error ?? response.status}. Sign in again.`);
    }
    return body;
  }

  /** Cognito identity pool calls need no signature: the ID token in Logins is the proof. */
  async identityCall(action, payload) {
    const response = await fetch(`https://cognito-identity.${this.auth.region}.amazonaws.com/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityService.${action}` },
      body: JSON.stringify(payload),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new ApiError(response.status === 400 ? 403 : response.status, 'NO_CREDENTIALS', `The identity pool refused credentials (${body.__type ?? response.status}): ${body.message ?? 'is your user in an operator group?'}`);
    }
    return body;
  }
}
