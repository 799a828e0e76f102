import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ClientIdSchema } from '../domain/model';
import { systemClock } from '../domain/system-clock';
import type { Clock } from '../ports/clock';
import { ROLES, type ConfigStore, type PrincipalGrant, type Role } from '../ports/config-store';
import { header } from './http';

/** Who is calling, and what it may do for which clients. */
export interface Caller {
  /** For logs and the audit trail: an IAM ARN, or `admin-token` / `api-token:<clients>` locally. Never a secret. */
  principal: string;
  /** The caller's role for each client it may act for; the key `*` stands for every client. */
  grants: ReadonlyMap<string, Role>;
}

/** Authenticates a request: undefined when it carries no or bad credentials (401). */
export interface Authorizer {
  authorize(event: APIGatewayProxyEvent): Promise<Caller | undefined>;
}

const rank = (role: Role): number => ROLES.indexOf(role);

/** Whether `held` includes `needed`: each role includes the ones before it in ROLES. */
export function roleIncludes(held: Role, needed: Role): boolean {
  return rank(held) >= rank(needed);
}

function higher(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (a === undefined) return b;
  return b === undefined || rank(a) >= rank(b) ? a : b;
}

/**
 * The caller's role for a client (its own grant or the `*` one, whichever is higher); without a
 * client, its highest role anywhere. Undefined: it may not act for that client at all.
 */
export function roleFor(caller: Caller, clientId?: string): Role | undefined {
  if (clientId !== undefined) return higher(caller.grants.get(clientId), caller.grants.get('*'));
  return [...caller.grants.values()].reduce<Role | undefined>(higher, undefined);
}

export function mayActFor(caller: Caller, clientId: string): boolean {
  return roleFor(caller, clientId) !== undefined;
}

/** Token → client id → role, as API_TOKENS lists them. */
export type ApiTokens = ReadonlyMap<string, ReadonlyMap<string, Role>>;

/**
 * Parses `API_TOKENS` (`t1:acme:caller,t2:beta`) into token → client → role; the role defaults to
 * admin. A token listed with several clients may act for each of them, with each entry's role.
 * Throws on a malformed entry, an unknown role or one token given two roles for a client, naming
 * the entry without its token, so a typo fails start-up loudly and leaks nothing.
 */
export function parseApiTokens(spec: string | undefined): Map<string, Map<string, Role>> {
  const tokens = new Map<string, Map<string, Role>>();
  for (const entry of (spec ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [token = '', clientId = '', role = 'admin', ...rest] = entry.split(':').map((part) => part.trim());
    const named = `API_TOKENS: "${['…', ...entry.split(':').slice(1)].join(':')}"`;
    if (token === '' || rest.length > 0 || !ClientIdSchema.safeParse(clientId).success) {
      throw new Error(`${named} is not a token:clientId or token:clientId:role entry (a token has no ':')`);
    }
    if (!isRole(role)) throw new Error(`${named} has an unknown role "${role}": use one of ${ROLES.join(', ')}`);
    const roles = tokens.get(token) ?? new Map<string, Role>();
    const earlier = roles.get(clientId);
    if (earlier !== undefined && earlier !== role) throw new Error(`${named} gives the token a second role for ${clientId} (also ${earlier})`);
    tokens.set(token, roles.set(clientId, role));
  }
  return tokens;
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A digest of fixed length, so that comparing two of them takes the same time whatever the token. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The local runtime's authorizer: `Authorization: Bearer <token>`. The admin token acts for every
 * client, each API token for its clients. Every known token is compared, in constant time, on
 * every request, so the response time says nothing about which token came close.
 */
export class TokenAuthorizer implements Authorizer {
  private readonly admin: Buffer;
  private readonly tokens: Array<{ digest: Buffer; grants: ReadonlyMap<string, Role> }>;

  constructor(adminToken: string, clientTokens: ApiTokens = new Map()) {
    if (adminToken.trim() === '') throw new Error('the admin token must not be empty');
    this.admin = digest(adminToken);
    this.tokens = [...clientTokens].map(([token, grants]) => ({ digest: digest(token), grants }));
  }

  async authorize(event: APIGatewayProxyEvent): Promise<Caller | undefined> {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header(event, 'authorization') ?? '');
    if (!match?.[1]) return undefined;
    const presented = digest(match[1]);
    let caller: Caller | undefined;
    if (timingSafeEqual(presented, this.admin)) caller = { principal: 'admin-token', grants: new Map([['*', 'admin']]) };
    for (const token of this.tokens) {
      if (timingSafeEqual(presented, token.digest) && !caller) {
        caller = { principal: `api-token:${[...token.grants.keys()].join('+')}`, grants: token.grants };
      }
    }
    return caller;
  }
}

export interface IamAuthorizerOptions {
  /** How long a principal's client list is reused by a warm Lambda. @default 60 000 ms */
  cacheTtlMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * API Gateway IAM authorization (SigV4) has already authenticated the caller; this maps its
 * principal to the client ids and role DevOps recorded for it (ConfigStore.getPrincipal). A role
 * session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) is looked up by its session ARN
 * and by its role ARN (`arn:aws:iam::<account>:role/<role>`), so a role is granted once for all of
 * its sessions; where both are mapped, each client gets the higher of the two roles. A session
 * ARN carries no role path: the store keys a role mapped with its path (`role/teams/billing/<role>`)
 * by the path-free ARN, so it matches here.
 */
export class IamAuthorizer implements Authorizer {
  private readonly cache = new Map<string, { grant: PrincipalGrant | undefined; expires: number }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly store: Pick<ConfigStore, 'getPrincipal'>,
    options: IamAuthorizerOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  async authorize(event: APIGatewayProxyEvent): Promise<Caller | undefined> {
    const identity = event.requestContext?.identity;
    const principal = identity?.userArn ?? identity?.caller ?? undefined;
    if (!principal) return undefined;
    const grants = new Map<string, Role>();
    for (const candidate of principalCandidates(principal)) {
      const grant = await this.grantOf(candidate);
      if (!grant) continue;
      for (const clientId of grant.clientIds) {
        const held = grants.get(clientId);
        grants.set(clientId, held !== undefined && roleIncludes(held, grant.role) ? held : grant.role);
      }
    }
    return { principal, grants };
  }

  private async grantOf(principal: string): Promise<PrincipalGrant | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(principal);
    if (cached && cached.expires > now) return cached.grant;
    const grant = await this.store.getPrincipal(principal);
    this.cache.set(principal, { grant, expires: now + this.ttlMs });
    return grant;
  }
}

function principalCandidates(principal: string): string[] {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principal);
  return session ? [principal, `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`] : [principal];
}
