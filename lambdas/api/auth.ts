import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ClientIdSchema } from '../domain/model';
import { systemClock } from '../domain/system-clock';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import { header } from './http';

/** Who is calling, and for which clients it may act. */
export interface Caller {
  /** For logs: an IAM ARN, or `admin-token` / `api-token:<clients>` locally. Never a secret. */
  principal: string;
  clientIds: '*' | ReadonlySet<string>;
}

/** Authenticates a request: undefined when it carries no or bad credentials (401). */
export interface Authorizer {
  authorize(event: APIGatewayProxyEvent): Promise<Caller | undefined>;
}

export function mayActFor(caller: Caller, clientId: string): boolean {
  return caller.clientIds === '*' || caller.clientIds.has(clientId);
}

/**
 * Parses `API_TOKENS` (`t1:acme,t2:beta`) into token → client ids. A token listed with several
 * clients may act for each of them. Throws on a malformed entry, so a typo fails start-up loudly.
 */
export function parseApiTokens(spec: string | undefined): Map<string, Set<string>> {
  const tokens = new Map<string, Set<string>>();
  for (const entry of (spec ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const separator = entry.lastIndexOf(':');
    const token = entry.slice(0, Math.max(0, separator)).trim();
    const clientId = entry.slice(separator + 1).trim();
    if (separator <= 0 || token === '' || !ClientIdSchema.safeParse(clientId).success) {
      throw new Error(`API_TOKENS: "${entry.replace(/^.*:/, '…:')}" is not a token:clientId pair`);
    }
    tokens.set(token, (tokens.get(token) ?? new Set()).add(clientId));
  }
  return tokens;
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
  private readonly tokens: Array<{ digest: Buffer; clientIds: ReadonlySet<string> }>;

  constructor(adminToken: string, clientTokens: ReadonlyMap<string, ReadonlySet<string>> = new Map()) {
    if (adminToken.trim() === '') throw new Error('the admin token must not be empty');
    this.admin = digest(adminToken);
    this.tokens = [...clientTokens].map(([token, clientIds]) => ({ digest: digest(token), clientIds }));
  }

  async authorize(event: APIGatewayProxyEvent): Promise<Caller | undefined> {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header(event, 'authorization') ?? '');
    if (!match?.[1]) return undefined;
    const presented = digest(match[1]);
    let caller: Caller | undefined;
    if (timingSafeEqual(presented, this.admin)) caller = { principal: 'admin-token', clientIds: '*' };
    for (const token of this.tokens) {
      if (timingSafeEqual(presented, token.digest) && !caller) {
        caller = { principal: `api-token:${[...token.clientIds].join('+')}`, clientIds: token.clientIds };
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
 * principal to the client ids DevOps recorded for it (ConfigStore.getPrincipalClients). A role
 * session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) is looked up by its session ARN
 * first, then by its role ARN (`arn:aws:iam::<account>:role/<role>`), so a role is granted once
 * for all of its sessions.
 */
export class IamAuthorizer implements Authorizer {
  private readonly cache = new Map<string, { clientIds: string[]; expires: number }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly store: Pick<ConfigStore, 'getPrincipalClients'>,
    options: IamAuthorizerOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  async authorize(event: APIGatewayProxyEvent): Promise<Caller | undefined> {
    const identity = event.requestContext?.identity;
    const principal = identity?.userArn ?? identity?.caller ?? undefined;
    if (!principal) return undefined;
    const clientIds: string[] = [];
    for (const candidate of principalCandidates(principal)) clientIds.push(...(await this.clientsOf(candidate)));
    return { principal, clientIds: clientIds.includes('*') ? '*' : new Set(clientIds) };
  }

  private async clientsOf(principal: string): Promise<string[]> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(principal);
    if (cached && cached.expires > now) return cached.clientIds;
    const clientIds = await this.store.getPrincipalClients(principal);
    this.cache.set(principal, { clientIds, expires: now + this.ttlMs });
    return clientIds;
  }
}

function principalCandidates(principal: string): string[] {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principal);
  return session ? [principal, `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`] : [principal];
}
