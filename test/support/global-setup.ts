import type { TestProject } from 'vitest/node';
import { startDynamoLocal, type DynamoLocal } from '../../lambdas/adapters/local/dynamo-local';

/**
 * One DynamoDB Local (in memory) for the whole test run; each test file creates its own tables
 * under a unique prefix (test/support/dynamo.ts), so files run in parallel without sharing data.
 */
let dynamo: DynamoLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
