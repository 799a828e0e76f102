import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { LocalQueue, type QueueConsumerOptions } from '../../lambdas/adapters/local/local-queue';
import { InMemoryUsageMeter } from '../../lambdas/adapters/local/usage-meter';
import { sleep, until } from './support';

const queues: LocalQueue[] = [];

function queue(options: Partial<ConstructorParameters<typeof LocalQueue>[0]> = {}): LocalQueue {
  const created = new LocalQueue({ name: 'work', ...options });
  queues.push(created);
  return created;
}

function consumer(overrides: Partial<QueueConsumerOptions> & Pick<QueueConsumerOptions, 'handler'>): QueueConsumerOptions {
  return { batchSize: 10, maxConcurrency: 1, visibilityTimeoutMs: 60, maxReceiveCount: 5, ...overrides };
}

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.stop(1_000)));
});

describe('LocalQueue', () => {
  it('delivers batches of at most batchSize real SQS records and deletes them on success', async () => {
    const meter = new InMemoryUsageMeter();
    const work = queue({ meter });
    const batches: SQSRecord[][] = [];
    for (let i = 0; i < 7; i++) await work.send(`{"n":${i}}`);

    work.startConsumer(consumer({ batchSize: 3, handler: async (event) => void batches.push(event.Records) }));
    await until(() => work.approximateDepth() === 0, 'queue drained');

    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().map((r) => r.body)).toEqual([0, 1, 2, 3, 4, 5, 6].map((n) => `{"n":${n}}`));
    const record = batches[0]![0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:work',
      awsRegion: 'us-east-1',
      md5OfBody: createHash('md5').update('{"n":0}').digest('hex'),
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(record.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.receiptHandle).not.toBe('');
    // 7 SendMessage + 3 ReceiveMessage + 3 DeleteMessageBatch.
    expect(meter.get('sqsRequests')).toBe(13);
    expect(meter.get('lambdaInvocations')).toBe(3);
  });

  it('keeps at most maxConcurrency handler invocations in flight', async () => {
    const work = queue();
    let inFlight = 0;
    let peak = 0;
    let handled = 0;
    work.startConsumer(
      consumer({
        batchSize: 1,
        maxConcurrency: 2,
        handler: async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await sleep(15);
          inFlight -= 1;
          handled += 1;
        },
      }),
    );
    for (let i = 0; i < 6; i++) await work.send(String(i));

    await until(() => handled === 6, 'six messages handled');
    expect(peak).toBe(2);
  });

  it('returns only the reported batch item failures to the queue, after the visibility timeout', async () => {
    const work = queue();
    const deliveries: { body: string; receiveCount: string; at: number }[] = [];
    work.startConsumer(
      consumer({
        visibilityTimeoutMs: 80,
        handler: async (event: SQSEvent) => {
          for (const r of event.Records) deliveries.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount, at: Date.now() });
          const failing = event.Records.filter((r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1');
          return { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) };
        },
      }),
    );
    await Promise.all(['a', 'b', 'c'].map((body) => work.send(body)));

    await until(() => work.approximateDepth() === 0, 'queue drained');
    expect(deliveries.map((d) => `${d.body}${d.receiveCount}`)).toEqual(['a1', 'b1', 'c1', 'b2']);
    expect(deliveries[3]!.at - deliveries[1]!.at).toBeGreaterThanOrEqual(75);
  });

  it('returns the whole batch after the visibility timeout when the handler throws', async () => {
    const work = queue();
    const deliveries: { bodies: string[]; at: number }[] = [];
    work.startConsumer(
      consumer({
        visibilityTimeoutMs: 80,
        handler: async (event) => {
          deliveries.push({ bodies: event.Records.map((r) => r.body), at: Date.now() });
          if (deliveries.length === 1) throw new Error('worker crashed');
        },
      }),
    );
    await Promise.all(['a', 'b'].map((body) => work.send(body)));

    await until(() => work.approximateDepth() === 0, 'queue drained');
    expect(deliveries.map((d) => d.bodies)).toEqual([['a', 'b'], ['a', 'b']]);
    expect(deliveries[1]!.at - deliveries[0]!.at).toBeGreaterThanOrEqual(75);
  });

  it('treats an unknown itemIdentifier as a failure of the whole batch', async () => {
    const work = queue();
    let calls = 0;
    work.startConsumer(
      consumer({
        visibilityTimeoutMs: 20,
        handler: async () => {
          calls += 1;
          return calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] } : undefined;
        },
      }),
    );
    await Promise.all(['a', 'b'].map((body) => work.send(body)));

    await until(() => work.approximateDepth() === 0, 'queue drained');
    expect(calls).toBe(2);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives without success', async () => {
    const meter = new InMemoryUsageMeter();
    const deadLetter = queue({ name: 'work-dlq' });
    const work = queue({ meter });
    let calls = 0;
    work.startConsumer(
      consumer({
        visibilityTimeoutMs: 20,
        maxReceiveCount: 2,
        deadLetter,
        handler: async () => {
          calls += 1;
          throw new Error('poison');
        },
      }),
    );
    const messageId = await work.send('poison');

    await until(() => work.deadLetterDepth() === 1, 'message dead-lettered');
    expect(calls).toBe(2);
    expect(work.approximateDepth()).toBe(0);
    expect(deadLetter.peek()).toEqual([{ messageId, body: 'poison', receiveCount: 0 }]);
    expect(meter.get('lambdaInvocations')).toBe(2);
  });

  it('injects at-least-once duplicates: the same message is delivered again later', async () => {
    const work = queue({ duplicateRate: 1, duplicateDelayMs: 30, random: () => 0 });
    const seen: string[] = [];
    work.startConsumer(consumer({ handler: async (event) => void seen.push(...event.Records.map((r) => r.messageId)) }));
    const messageId = await work.send('once');

    await until(() => seen.length === 2, 'delivered twice');
    expect(seen).toEqual([messageId, messageId]);
    await until(() => work.approximateDepth() === 0, 'both copies deleted');
  });

  it('delivers a message again while its handler still runs once the visibility timeout expires', async () => {
    const work = queue();
    const receiveCounts: string[] = [];
    work.startConsumer(
      consumer({
        maxConcurrency: 2,
        visibilityTimeoutMs: 30,
        handler: async (event) => {
          receiveCounts.push(event.Records[0]!.attributes.ApproximateReceiveCount);
          if (receiveCounts.length === 1) await sleep(120);
        },
      }),
    );
    await work.send('slow');

    await until(() => receiveCounts.length === 2, 'redelivered during the slow handler');
    expect(receiveCounts).toEqual(['1', '2']);
    // The slow first invocation holds a stale receipt handle: only the second one deletes.
    await until(() => work.approximateDepth() === 0, 'deleted by the latest receipt');
  });

  it('lets a handler bring its message back sooner with changeMessageVisibility, by its latest receipt handle only', async () => {
    const work = queue();
    const received: string[] = [];
    work.startConsumer(
      consumer({
        visibilityTimeoutMs: 60_000,
        handler: async (event) => {
          const record = event.Records[0]!;
          received.push(record.receiptHandle);
          if (received.length > 1) return;
          await work.changeMessageVisibility(record.eventSourceARN, record.receiptHandle, 0);
          return { batchItemFailures: [{ itemIdentifier: record.messageId }] };
        },
      }),
    );

    await work.send('busy');
    // A minute's visibility timeout, yet the message is back at once.
    await until(() => received.length === 2 && work.approximateDepth() === 0, 'the second delivery');

    await expect(work.changeMessageVisibility(work.arn, received[0]!, 0)).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    await expect(work.changeMessageVisibility('arn:aws:sqs:us-east-1:000000000000:other', received[1]!, 0)).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('stop() waits for handlers in flight and stops delivering', async () => {
    const work = queue();
    let finished = 0;
    work.startConsumer(
      consumer({
        handler: async () => {
          await sleep(40);
          finished += 1;
        },
      }),
    );
    await work.send('in flight');
    await until(() => work.approximateDepth() === 1 && finished === 0, 'received');
    await sleep(5);

    await work.stop();
    expect(finished).toBe(1);
    await work.send('after stop');
    await sleep(30);
    expect(finished).toBe(1);
    expect(work.approximateDepth()).toBe(1);
  });
});
