import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import type { RunEvent } from '../../lambdas/domain/run-events';
import type { Clock } from '../../lambdas/ports/clock';
import { api, startTestRuntime, testClock, waitForRun } from '../support/local-runtime';

const SECRET = 'whsec-test-0123456789abcdef';

interface Received {
  body: string;
  event: RunEvent;
  eventIdHeader: string | undefined;
  signature: string | undefined;
}

/** A webhook receiver on loopback that records what it gets and answers as told. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; answer: { status: number } }> {
  const received: Received[] = [];
  const answer = { status: 200 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (answer.status < 300) {
        received.push({ body, event: JSON.parse(body) as RunEvent, eventIdHeader: request.headers['x-event-id'] as string, signature: request.headers['x-signature'] as string });
      }
      response.writeHead(answer.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received, answer };
}

describe('run events and signed webhooks (local runtime, DynamoDB Local)', () => {
  let runtime: LocalRuntime;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let offsetMs = 0;
  /** The runtime's clock: real speed, moved on by the test instead of waiting. */
  const clock: Clock = { now: () => new Date(testClock.now().getTime() + offsetMs) };
  const advance = (ms: number): void => {
    offsetMs += ms;
  };
  const clientId = `events-${Math.random().toString(36).slice(2, 8)}`;
  let scheduleId: string;
  let subscriptionId: string;

  const tick = () => runtime.notifications.notifier.tick();
  const typesFor = (runId: string) => runtime.notifications.bus.events.filter((event) => event.run.runId === runId).map((event) => event.type);
  const deliveries = async () => (await api(runtime, 'GET', `/v1/clients/${clientId}/subscriptions/${subscriptionId}/deliveries`)).body.items as Array<Record<string, unknown>>;

  beforeAll(async () => {
    runtime = await startTestRuntime({ clock, notifyEveryMs: false });
    receiver = await startReceiver();
    await api(runtime, 'PUT', `/v1/clients/${clientId}`, { name: 'Events', timezone: 'UTC' });
    const schedule = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules`, {
      name: 'Synthetic with a deadline',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'UTC',
      deadlineMinutes: 30,
      jobs: [{ type: 'SYNTHETIC', settings: { items: 5, failItems: [2] } }],
    });
    expect(schedule.status).toBe(201);
    expect(schedule.body.deadlineMinutes).toBe(30);
    scheduleId = schedule.body.scheduleId;
    const subscribed = await api(runtime, 'POST', `/v1/clients/${clientId}/subscriptions`, { url: receiver.url, secret: SECRET, events: ['*'] });
    expect(subscribed.status).toBe(201);
    subscriptionId = subscribed.body.subscriptionId;
  });

  afterAll(async () => {
    await runtime?.stop();
    receiver?.server.close();
  });

  it('never shows the secret and refuses a bad subscription naming the field', async () => {
    const listed = await api(runtime, 'GET', `/v1/clients/${clientId}/subscriptions`);
    const metadata = await api(runtime, 'POST', `/v1/clients/${clientId}/subscriptions`, { url: 'http://169.254.169.254/latest/meta-data', secret: SECRET, events: ['*'] });
    const shortSecret = await api(runtime, 'POST', `/v1/clients/${clientId}/subscriptions`, { url: receiver.url, secret: 'too-short', events: ['*'] });
    const unknownEvent = await api(runtime, 'POST', `/v1/clients/${clientId}/subscriptions`, { url: receiver.url, secret: SECRET, events: ['RUN_EXPLODED'] });

    expect(listed.body.items).toEqual([{ subscriptionId, clientId, url: receiver.url, events: ['*'], createdAt: expect.any(String) }]);
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);
    expect(metadata.status).toBe(400);
    expect(metadata.body.error.details[0].path).toBe('url');
    expect(shortSecret.status).toBe(400);
    expect(shortSecret.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['secret']);
    expect(unknownEvent.status).toBe(400);
    expect(unknownEvent.body.error.details[0].path).toMatch(/^events/);
  });

  it('delivers every event of a run, signed, once per state change; a late run fires RUN_LATE once; a reprocess that completes announces it again', async () => {
    const triggered = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules/${scheduleId}/runs`, { processingDate: '2026-11-20' });
    const runId: string = triggered.body.runId;
    expect(triggered.body.deadlineAt).toBe(new Date(Date.parse(triggered.body.createdAt) + 30 * 60_000).toISOString());
    const failed = await waitForRun(runtime, clientId, runId, ['FAILED']);
    await tick();

    expect(typesFor(runId)).toEqual(['RUN_STARTED', 'RUN_FAILED']);
    // Deliveries go out concurrently: the receiver orders by the event's time if it must.
    expect(receiver.received.map((r) => r.event.type).sort()).toEqual(['RUN_FAILED', 'RUN_STARTED']);
    for (const delivery of receiver.received) {
      expect(delivery.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`);
      expect(delivery.eventIdHeader).toBe(delivery.event.eventId);
      expect(delivery.event.clientId).toBe(clientId);
      expect(delivery.event.run).not.toHaveProperty('jobs');
      expect(delivery.event.run).not.toHaveProperty('config');
    }
    expect(receiver.received.find((r) => r.event.type === 'RUN_FAILED')?.event.run).toMatchObject({ runId, status: 'FAILED', error: { code: 'ITEMS_FAILED' } });

    // The status event delivered again, and the reconciler settling the same failure: no second RUN_FAILED.
    await runtime.engine.executionStatus.handle({ name: failed.executionName, status: 'FAILED', error: 'ItemsFailed', cause: 'again' });
    await runtime.engine.reconcile.reconcile();
    await tick();
    expect(typesFor(runId)).toEqual(['RUN_STARTED', 'RUN_FAILED']);

    // Past the deadline, the receiver down: RUN_LATE once, retried until it answers.
    receiver.answer.status = 500;
    advance(31 * 60_000);
    await tick();
    await tick();
    expect(typesFor(runId)).toEqual(['RUN_STARTED', 'RUN_FAILED', 'RUN_LATE']);
    const late = await api(runtime, 'GET', `/v1/clients/${clientId}/runs/${runId}`);
    expect(late.body).toMatchObject({ late: true, deadlineAt: triggered.body.deadlineAt, status: 'FAILED' });
    expect((await deliveries())[0]).toMatchObject({ type: 'RUN_LATE', status: 'RETRYING', responseStatus: 500, attempts: 1 });

    receiver.answer.status = 200;
    advance(10_000);
    await tick();
    expect(receiver.received.map((r) => r.event.type).sort()).toEqual(['RUN_FAILED', 'RUN_LATE', 'RUN_STARTED']);
    expect((await deliveries())[0]).toMatchObject({ type: 'RUN_LATE', status: 'DELIVERED', responseStatus: 200, attempts: 2 });

    // A reprocess is a new outcome: started and completed are announced again, with new event ids.
    expect((await api(runtime, 'POST', `/v1/clients/${clientId}/runs/${runId}/reprocess`, { scope: 'RUN', heal: true })).status).toBe(202);
    await waitForRun(runtime, clientId, runId, ['COMPLETED']);
    await tick();
    await tick();
    expect(typesFor(runId)).toEqual(['RUN_STARTED', 'RUN_FAILED', 'RUN_LATE', 'RUN_STARTED', 'RUN_COMPLETED']);
    const ids = runtime.notifications.bus.events.filter((event) => event.run.runId === runId).map((event) => event.eventId);
    expect(new Set(ids).size).toBe(5);
    expect(receiver.received.find((r) => r.event.type === 'RUN_COMPLETED')?.event.run).toMatchObject({ runId, status: 'COMPLETED', late: true });
  });

  it('loses nothing while the receiver is down for an hour: every event of the run is delivered once it answers', async () => {
    receiver.received.length = 0;
    receiver.answer.status = 503;
    const triggered = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules/${scheduleId}/runs`, { processingDate: '2026-11-21' });
    const runId: string = triggered.body.runId;
    await waitForRun(runtime, clientId, runId, ['FAILED']);
    await tick();

    // Down for 59 minutes: each retry fails and is queued again.
    for (let minute = 0; minute < 59; minute++) {
      advance(60_000);
      await tick();
    }
    const during = (await deliveries()).filter((delivery) => typesFor(runId).length > 0 && ['RUN_STARTED', 'RUN_FAILED'].includes(String(delivery.type)) && delivery.status !== 'DELIVERED');
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.every((delivery) => delivery.status === 'RETRYING')).toBe(true);

    receiver.answer.status = 200;
    for (let minute = 0; minute < 16; minute++) {
      advance(60_000);
      await tick();
    }
    const eventIds = runtime.notifications.bus.events.filter((event) => event.run.runId === runId).map((event) => event.eventId);
    // At least once: a receiver may see an event twice, never miss one.
    expect(new Set(receiver.received.filter((r) => r.event.run.runId === runId).map((r) => r.event.eventId))).toEqual(new Set(eventIds));
    const log = await deliveries();
    for (const eventId of eventIds) expect(log.find((delivery) => delivery.eventId === eventId)).toMatchObject({ status: 'DELIVERED' });
  });

  it('gives up on a receiver that never answers 2xx, after ten attempts over more than an hour, and says so in the log', async () => {
    receiver.received.length = 0;
    receiver.answer.status = 500;
    const triggered = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules/${scheduleId}/runs`, { processingDate: '2026-11-19' });
    const runId: string = triggered.body.runId;
    // A date of its own (a date that has a run keeps it); its outcome does not matter, only that it ended.
    await waitForRun(runtime, clientId, runId, ['FAILED', 'COMPLETED']);
    await tick();

    // 150 minutes of the runtime’s clock, a minute at a time: well past the last retry (3,820 s
    // after the first attempt; locally each retry also waits for a tick after it is due).
    for (let minute = 0; minute < 150; minute++) {
      advance(60_000);
      await tick();
    }
    const eventIds = runtime.notifications.bus.events.filter((event) => event.run.runId === runId).map((event) => event.eventId);
    const log = (await deliveries()).filter((delivery) => eventIds.includes(String(delivery.eventId)));

    expect(eventIds.length).toBeGreaterThanOrEqual(2);
    expect(log).toHaveLength(eventIds.length);
    for (const delivery of log) {
      expect(delivery).toMatchObject({ status: 'GAVE_UP', attempts: 10, responseStatus: 500 });
      expect(Date.parse(String(delivery.lastAttemptAt)) - Date.parse(String(delivery.firstAttemptAt))).toBeGreaterThanOrEqual(3_600_000);
    }
    expect(receiver.received.filter((r) => r.event.run.runId === runId)).toEqual([]);
    receiver.answer.status = 200;
  });
});
