import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The rule `npm run lint` checks, applied to a small tree that breaks it on purpose. */
const FIXTURE: Record<string, string> = {
  'lambdas/domain/model.ts': 'export type Id = string;\n',
  'lambdas/domain/pricing.ts': "import type { Ledger } from '../ports/ledger';\nexport type Priced = Ledger;\n",
  'lambdas/domain/sdk-user.ts': "import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport type Client = DynamoDBClient;\n",
  'lambdas/ports/ledger.ts': "import type { Id } from '../domain/model';\nexport interface Ledger { get(id: Id): string }\n",
  'lambdas/jobs/a-job.ts': "import type { Ledger } from '../ports/ledger';\nimport type { Service } from '../services/a-service';\nexport type Job = Ledger | Service;\n",
  'lambdas/services/a-service.ts': "import type { Other } from './other-service';\nexport type Service = Other | 1;\n",
  'lambdas/services/other-service.ts': "import type { Service } from './a-service';\nexport type Other = Service | 2;\n",
  'lambdas/adapters/aws/ledger.ts': "import type { Ledger } from '../../ports/ledger';\nimport type { Local } from '../local/stand-in';\nexport type Aws = Ledger | Local;\n",
  'lambdas/adapters/local/stand-in.ts': 'export type Local = 3;\n',
};

let base: string;
let violations: Array<{ rule: string; from: string; to: string }>;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'layering-'));
  for (const [path, text] of Object.entries(FIXTURE)) {
    await mkdir(dirname(join(base, path)), { recursive: true });
    await writeFile(join(base, path), text);
  }
  await symlink(resolve('node_modules'), join(base, 'node_modules'), 'dir');
  const { forbidden, options } = await extractDepcruiseConfig(resolve('.dependency-cruiser.js'));
  const { tsConfig: _tsConfig, ...cruiseOptions } = options ?? {};
  const result = await cruise(['lambdas'], { ...cruiseOptions, baseDir: base, validate: true, ruleSet: { forbidden } });
  const output = result.output as ICruiseResult;
  violations = output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to.replace(/^.*node_modules\//, 'node_modules/') }));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the layering rule', () => {
  it('refuses an import from a lower layer to a higher one', () => {
    expect(violations).toContainEqual({ rule: 'domain-imports-only-below', from: 'lambdas/domain/pricing.ts', to: 'lambdas/ports/ledger.ts' });
    expect(violations).toContainEqual({ rule: 'jobs-imports-only-below', from: 'lambdas/jobs/a-job.ts', to: 'lambdas/services/a-service.ts' });
  });

  it('refuses cycles, the AWS SDK below the adapters, and the local runtime in the AWS adapters', () => {
    expect(violations.map((v) => v.rule)).toContain('no-circular');
    expect(violations).toContainEqual({ rule: 'pure-layers-without-aws', from: 'lambdas/domain/sdk-user.ts', to: expect.stringMatching(/^node_modules\/@aws-sdk\/client-dynamodb\//) });
    expect(violations).toContainEqual({ rule: 'aws-adapters-without-local', from: 'lambdas/adapters/aws/ledger.ts', to: 'lambdas/adapters/local/stand-in.ts' });
  });

  it('lets every layer import the layers below it', () => {
    const allowed = violations.filter((v) => v.from === 'lambdas/ports/ledger.ts' || (v.from === 'lambdas/jobs/a-job.ts' && v.to === 'lambdas/ports/ledger.ts'));
    expect(allowed).toEqual([]);
  });
});
