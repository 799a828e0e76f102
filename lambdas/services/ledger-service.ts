import { ConflictError, NotFoundError, PreconditionRequiredError, StaleVersionError, ValidationError, type ErrorDetail } from '../domain/errors';
import {
  DISCARDABLE_STATES,
  usageItemId,
  type Account,
  type Invoice,
  type RatePlan,
  type RerateRequest,
  type RerateStatus,
  type UsageKey,
  type UsageRecord,
  type UsageState,
} from '../domain/ledger';
import type { Clock } from '../ports/clock';
import { MAX_USAGE_PER_TRANSACTION, type Ledger, type LedgerMaintenance, type Page, type PageRequest, type UsageWrite, type VersionedRatePlan } from '../ports/ledger';

/** Rounds of "read, decide, write" when another writer changes the same records in between. */
const CONFLICT_ROUNDS = 3;
/** DynamoDB's limit of actions in one TransactWriteItems. */
const MAX_TRANSACTION_WRITES = 100;

export type RatePlanInput = Omit<RatePlan, 'clientId' | 'ratePlanId'>;
export type AccountInput = Omit<Account, 'clientId' | 'accountId'>;
export type UsageInput = Pick<UsageRecord, 'accountId' | 'usageDate' | 'usageId' | 'usageType' | 'quantity'>;
export type RerateInput = Pick<RerateRequest, 'accountId' | 'requestId' | 'fromDate' | 'toDate' | 'reason'>;

export interface LedgerServiceDependencies {
  /** The jobs' port: strongly consistent batched reads of accounts and usage. */
  ledger: Pick<Ledger, 'getAccounts' | 'getUsage'>;
  maintenance: LedgerMaintenance;
  clock: Clock;
}

const keyText = (key: UsageKey): string => usageItemId(key);
const sameUsage = (a: UsageInput, b: UsageInput): boolean => a.usageType === b.usageType && a.quantity === b.quantity;
const rateKey = (rate: { usageType: string; effectiveFrom: string }): string => `${rate.usageType}#${rate.effectiveFrom}`;

/**
 * The ledger API (shared/API.md, "The ledger"): what an operator fixes before reprocessing a
 * run, through the same ledger the billing jobs use. Each request writes all or nothing.
 */
export class LedgerService {
  constructor(private readonly deps: LedgerServiceDependencies) {}

  async putRatePlan(clientId: string, ratePlanId: string, input: RatePlanInput, expectedVersion: number | undefined): Promise<{ plan: VersionedRatePlan; created: boolean }> {
    const seen = new Map<string, number>();
    input.rates.forEach((rate, index) => {
      const earlier = seen.get(rateKey(rate));
      if (earlier !== undefined) {
        throw new ValidationError(`rates ${earlier} and ${index} are both ${rate.usageType} from ${rate.effectiveFrom}`, [{ path: `rates.${index}`, message: 'duplicate usageType and effectiveFrom' }]);
      }
      seen.set(rateKey(rate), index);
    });
    const existing = await this.deps.maintenance.getRatePlan(clientId, ratePlanId);
    if (existing && expectedVersion === undefined) {
      throw new PreconditionRequiredError(`rate plan ${ratePlanId} exists: send If-Match with the version you read to replace it`, [{ path: 'If-Match', message: 'required' }]);
    }
    if (expectedVersion !== undefined && existing?.version !== expectedVersion) {
      throw new StaleVersionError(existing ? `rate plan ${ratePlanId} is at version ${existing.version}, not ${expectedVersion}: read it again` : `rate plan ${ratePlanId} does not exist`);
    }
    const staleRates = (existing?.rates ?? []).filter((rate) => !seen.has(rateKey(rate)));
    // The plan, its rates and the removed ones are one transaction, of at most 100 writes.
    if (1 + input.rates.length + staleRates.length > MAX_TRANSACTION_WRITES) {
      throw new ValidationError(`replacing ${staleRates.length} stored rates with ${input.rates.length} is more than one change can hold: remove rates in a smaller step first`, [
        { path: 'rates', message: 'too many rate changes at once' },
      ]);
    }
    const plan = await this.deps.maintenance.saveRatePlan({ ...input, clientId, ratePlanId }, expectedVersion, staleRates);
    return { plan, created: existing === undefined };
  }

  async getRatePlan(clientId: string, ratePlanId: string): Promise<VersionedRatePlan> {
    const plan = await this.deps.maintenance.getRatePlan(clientId, ratePlanId);
    if (!plan) throw new NotFoundError(`client ${clientId} has no rate plan ${ratePlanId}`);
    return plan;
  }

  listRatePlans(clientId: string, page: PageRequest): Promise<Page<VersionedRatePlan>> {
    return this.deps.maintenance.listRatePlans(clientId, page);
  }

  async putAccount(clientId: string, accountId: string, input: AccountInput): Promise<{ account: Account; created: boolean }> {
    const existing = (await this.deps.ledger.getAccounts(clientId, [accountId])).get(accountId);
    const account = { ...input, clientId, accountId };
    await this.deps.maintenance.saveAccount(account);
    return { account, created: existing === undefined };
  }

  async getAccount(clientId: string, accountId: string): Promise<Account> {
    const account = (await this.deps.ledger.getAccounts(clientId, [accountId])).get(accountId);
    if (!account) throw new NotFoundError(`client ${clientId} has no account ${accountId}`);
    return account;
  }

  listAccounts(clientId: string, page: PageRequest): Promise<Page<Account>> {
    return this.deps.maintenance.listAccounts(clientId, page);
  }

  /**
   * Idempotent by key: the same record again is a duplicate, a different one under a stored key
   * a 409 before anything is written. All keys are read first (batched), then the new records
   * are created in transactions conditional on absence; a transaction that finds a key taken by
   * a concurrent writer is decided again from a fresh read.
   */
  async importUsage(clientId: string, inputs: readonly UsageInput[]): Promise<{ accepted: number; duplicates: number }> {
    const unique = new Map<string, { input: UsageInput; index: number }>();
    let duplicates = 0;
    inputs.forEach((input, index) => {
      const earlier = unique.get(keyText(input));
      if (!earlier) return void unique.set(keyText(input), { input, index });
      if (!sameUsage(earlier.input, input)) throw usageConflict([{ index, key: input, detail: `differs from records.${earlier.index}` }], []);
      duplicates++;
    });

    let pending = [...unique.values()];
    const written: number[] = [];
    for (let round = 0; round < CONFLICT_ROUNDS && pending.length > 0; round++) {
      const stored = await this.deps.ledger.getUsage(clientId, pending.map(({ input }) => input));
      const conflicts = pending.filter(({ input }) => {
        const record = stored.get(keyText(input));
        return record !== undefined && !sameUsage(record, input);
      });
      if (conflicts.length > 0) throw usageConflict(conflicts.map(({ index, input }) => ({ index, key: input, detail: 'differs from the stored record' })), written);
      duplicates += pending.filter(({ input }) => stored.has(keyText(input))).length;
      const fresh = pending.filter(({ input }) => !stored.has(keyText(input)));
      const records = fresh.map(({ input }): UsageRecord => ({ ...input, clientId, state: 'UNRATED', rev: 0 }));
      const notWritten = await this.deps.maintenance.createUsage(clientId, records);
      written.push(...fresh.filter(({ input }) => !notWritten.has(keyText(input))).map(({ index }) => index));
      pending = fresh.filter(({ input }) => notWritten.has(keyText(input)));
    }
    if (pending.length > 0) {
      throw new ConflictError(`the stored usage kept changing while this import ran; ${writtenText(written)}: send the request again`, 'USAGE_CHANGED', writtenDetails(written));
    }
    return { accepted: written.length, duplicates };
  }

  listUsage(clientId: string, filter: { state: UsageState; accountId?: string }, page: PageRequest): Promise<Page<UsageRecord>> {
    return this.deps.maintenance.listUsage(clientId, filter, page);
  }

  /** SUSPENDED or SYNC_ERROR records become DISCARDED, all of them in one transaction or none. */
  async discardUsage(clientId: string, keys: readonly UsageKey[], reason: string, actor: string): Promise<{ discarded: number }> {
    if (keys.length > MAX_USAGE_PER_TRANSACTION) throw new ValidationError(`at most ${MAX_USAGE_PER_TRANSACTION} keys a request`, [{ path: 'keys', message: 'too many' }]);
    const seen = new Set<string>();
    keys.forEach((key, index) => {
      if (seen.has(keyText(key))) throw new ValidationError(`keys.${index} repeats ${keyText(key)}`, [{ path: `keys.${index}`, message: 'duplicate key' }]);
      seen.add(keyText(key));
    });
    for (let round = 0; round < CONFLICT_ROUNDS; round++) {
      const stored = await this.deps.ledger.getUsage(clientId, keys);
      const missing = keys.findIndex((key) => !stored.has(keyText(key)));
      if (missing >= 0) throw new NotFoundError(`no usage record ${keyText(keys[missing] as UsageKey)}`, [{ path: `keys.${missing}`, message: 'no such record' }]);
      const wrong = keys.flatMap((key, index) => {
        const state = (stored.get(keyText(key)) as UsageRecord).state;
        return DISCARDABLE_STATES.includes(state) ? [] : [{ path: `keys.${index}`, message: `${keyText(key)} is ${state}` }];
      });
      if (wrong.length > 0) {
        throw new ConflictError(`only SUSPENDED or SYNC_ERROR records can be discarded: ${wrong.map((d) => d.message).join('; ')}; nothing was discarded`, 'NOT_DISCARDABLE', wrong);
      }
      const at = this.deps.clock.now().toISOString();
      const writes: UsageWrite[] = keys.map((key) => {
        const record = stored.get(keyText(key)) as UsageRecord;
        return { record: { ...record, state: 'DISCARDED', discard: { reason, actor, at } }, expectedRev: record.rev };
      });
      if (await this.deps.maintenance.writeUsageTogether(clientId, writes)) return { discarded: writes.length };
    }
    throw new ConflictError('the records kept changing while they were discarded (a run works on them); nothing was discarded: send the request again', 'USAGE_CHANGED');
  }

  async createRerateRequest(clientId: string, input: RerateInput): Promise<RerateRequest> {
    const request: RerateRequest = { ...input, clientId, requestedAt: this.deps.clock.now().toISOString(), status: 'OPEN' };
    await this.deps.maintenance.createRerateRequest(request);
    return request;
  }

  listRerateRequests(clientId: string, status: RerateStatus | undefined, page: PageRequest): Promise<Page<RerateRequest>> {
    return this.deps.maintenance.listRerateRequests(clientId, status, page);
  }

  cancelRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void> {
    return this.deps.maintenance.cancelRerateRequest(clientId, accountId, requestId);
  }

  listInvoices(clientId: string, filter: { accountId?: string; periodId?: string }, page: PageRequest): Promise<Page<Invoice>> {
    return this.deps.maintenance.listInvoicePage(clientId, filter, page);
  }
}

/** A 409 naming each conflicting record, and the records of the request stored before a concurrent writer's conflict showed. */
function usageConflict(conflicts: ReadonlyArray<{ index: number; key: UsageKey; detail: string }>, written: readonly number[]): ConflictError {
  const details: ErrorDetail[] = conflicts.map(({ index, key, detail }) => ({ path: `records.${index}`, message: `${keyText(key)} ${detail}` }));
  const outcome = written.length === 0 ? 'nothing of this request was written' : `${writtenText(written)} before a concurrent import stored a different record`;
  return new ConflictError(`a different usage record exists under ${conflicts.map(({ key }) => keyText(key)).join(', ')}: ${outcome}`, 'USAGE_CONFLICT', [...details, ...writtenDetails(written)]);
}

/** The written records as index ranges of the request: "records 0-99, 200-249". */
function writtenRanges(written: readonly number[]): string {
  const sorted = [...written].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

function writtenText(written: readonly number[]): string {
  return written.length === 0 ? 'nothing was written' : `${written.length} records were written (records ${writtenRanges(written)})`;
}

function writtenDetails(written: readonly number[]): ErrorDetail[] {
  return written.length === 0 ? [] : [{ path: 'records', message: `written: ${writtenRanges(written)}` }];
}
