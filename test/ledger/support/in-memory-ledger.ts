import { usageItemId, type Account, type Invoice, type Rate, type RatePlan, type RerateRequest, type UsageKey, type UsageRecord } from '../../../lambdas/domain/ledger';
import { QUEUE_OF_STATE, type Ledger, type LedgerAdmin, type UsageQueue, type UsageWrite } from '../../../lambdas/ports/ledger';

const clone = <T>(value: T): T => structuredClone(value);

/**
 * The Ledger port in memory, with the DynamoDB adapter's semantics (the contract test runs both):
 * usage writes conditional on the revision read, invoices created only when absent. Property
 * tests run thousands of job executions against it; test hooks let them crash a write.
 */
export class InMemoryLedger implements Ledger, LedgerAdmin {
  readonly accounts = new Map<string, Account>();
  readonly plans = new Map<string, Omit<RatePlan, 'rates'> & { rates: Map<string, Rate> }>();
  readonly usage = new Map<string, UsageRecord>();
  readonly invoices = new Map<string, Invoice>();
  readonly rerates = new Map<string, RerateRequest>();
  /** Called before a usage write is applied; throwing simulates a worker that dies there. */
  beforeUsageWrite: (writes: readonly UsageWrite[]) => void = () => undefined;
  /** How often an invoice creation found one already (the conditional write held). */
  invoiceCollisions = 0;

  async *accountsDueOn(clientId: string, anniversaryDays: readonly number[]): AsyncIterable<string> {
    for (const day of [...anniversaryDays].sort((a, b) => a - b)) {
      const due = [...this.accounts.values()].filter((a) => a.clientId === clientId && a.status === 'ACTIVE' && a.anniversaryDay === day);
      for (const account of due.sort((a, b) => a.accountId.localeCompare(b.accountId))) yield account.accountId;
    }
  }

  async *usageInQueue(clientId: string, queue: UsageQueue, throughDate: string): AsyncIterable<UsageKey> {
    const records = [...this.usage.values()].filter((r) => r.clientId === clientId && QUEUE_OF_STATE[r.state] === queue && r.usageDate <= throughDate);
    for (const record of records.sort((a, b) => usageItemId(a).localeCompare(usageItemId(b)))) {
      yield { accountId: record.accountId, usageDate: record.usageDate, usageId: record.usageId };
    }
  }

  async *rerateRequests(clientId: string): AsyncIterable<{ accountId: string; requestId: string }> {
    const requests = [...this.rerates.values()].filter((r) => r.clientId === clientId).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
    for (const request of requests) yield { accountId: request.accountId, requestId: request.requestId };
  }

  async getAccounts(clientId: string, accountIds: readonly string[]): Promise<Map<string, Account>> {
    const found = accountIds.map((id) => this.accounts.get(`${clientId}/${id}`)).filter((a): a is Account => a !== undefined);
    return new Map(found.map((account) => [account.accountId, clone(account)]));
  }

  async getRatePlans(clientId: string, ratePlanIds: readonly string[]): Promise<Map<string, RatePlan>> {
    const result = new Map<string, RatePlan>();
    for (const id of ratePlanIds) {
      const plan = this.plans.get(`${clientId}/${id}`);
      if (plan) result.set(id, clone({ ...plan, rates: [...plan.rates.values()] }));
    }
    return result;
  }

  async getUsage(clientId: string, keys: readonly UsageKey[]): Promise<Map<string, UsageRecord>> {
    const result = new Map<string, UsageRecord>();
    for (const key of keys) {
      const record = this.usage.get(`${clientId}/${usageItemId(key)}`);
      if (record) result.set(usageItemId(key), clone(record));
    }
    return result;
  }

  async usageOfAccount(clientId: string, accountId: string, fromDate: string, toDate: string): Promise<UsageRecord[]> {
    return [...this.usage.values()]
      .filter((r) => r.clientId === clientId && r.accountId === accountId && r.usageDate >= fromDate && r.usageDate <= toDate)
      .sort((a, b) => usageItemId(a).localeCompare(usageItemId(b)))
      .map(clone);
  }

  async getInvoices(clientId: string, keys: ReadonlyArray<{ accountId: string; periodId: string }>): Promise<Map<string, Invoice>> {
    const result = new Map<string, Invoice>();
    for (const key of keys) {
      const invoice = this.invoices.get(`${clientId}/${key.accountId}/${key.periodId}`);
      if (invoice) result.set(`${key.accountId}/${key.periodId}`, clone(invoice));
    }
    return result;
  }

  async getRerateRequest(clientId: string, accountId: string, requestId: string): Promise<RerateRequest | undefined> {
    const request = this.rerates.get(`${clientId}/${accountId}/${requestId}`);
    return request ? clone(request) : undefined;
  }

  async writeUsage(clientId: string, writes: readonly UsageWrite[]): Promise<Set<string>> {
    this.beforeUsageWrite(writes);
    const conflicts = new Set<string>();
    for (const write of writes) {
      const id = usageItemId(write.record);
      const stored = this.usage.get(`${clientId}/${id}`);
      if (!stored || stored.rev !== write.expectedRev) {
        conflicts.add(id);
        continue;
      }
      this.usage.set(`${clientId}/${id}`, clone({ ...write.record, clientId, rev: write.expectedRev + 1 }));
    }
    return conflicts;
  }

  async createInvoices(clientId: string, invoices: readonly Invoice[]): Promise<Set<string>> {
    const existed = new Set<string>();
    for (const invoice of invoices) {
      const key = `${clientId}/${invoice.accountId}/${invoice.periodId}`;
      if (this.invoices.has(key)) {
        existed.add(invoice.accountId);
        this.invoiceCollisions++;
      } else {
        this.invoices.set(key, clone({ ...invoice, clientId }));
      }
    }
    return existed;
  }

  async completeRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void> {
    this.rerates.delete(`${clientId}/${accountId}/${requestId}`);
  }

  async putAccounts(accounts: readonly Account[]): Promise<void> {
    for (const account of accounts) this.accounts.set(`${account.clientId}/${account.accountId}`, clone(account));
  }

  async putRatePlan(plan: RatePlan): Promise<void> {
    const key = `${plan.clientId}/${plan.ratePlanId}`;
    const rates = this.plans.get(key)?.rates ?? new Map<string, Rate>();
    for (const rate of plan.rates) rates.set(`${rate.usageType}#${rate.effectiveFrom}`, clone(rate));
    this.plans.set(key, { ...clone({ ...plan, rates: [] }), rates });
  }

  async putRate(clientId: string, ratePlanId: string, rate: Rate): Promise<void> {
    this.plans.get(`${clientId}/${ratePlanId}`)?.rates.set(`${rate.usageType}#${rate.effectiveFrom}`, clone(rate));
  }

  async importUsage(records: readonly UsageRecord[]): Promise<void> {
    for (const record of records) this.usage.set(`${record.clientId}/${usageItemId(record)}`, clone(record));
  }

  async requestRerate(request: RerateRequest): Promise<void> {
    this.rerates.set(`${request.clientId}/${request.accountId}/${request.requestId}`, clone(request));
  }

  async listInvoices(clientId: string, accountId: string): Promise<Invoice[]> {
    return [...this.invoices.values()].filter((i) => i.clientId === clientId && i.accountId === accountId).sort((a, b) => a.periodId.localeCompare(b.periodId)).map(clone);
  }
}
