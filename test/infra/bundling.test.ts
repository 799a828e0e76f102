import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appFunctions, HANDLER_FILES, synthStage } from './support/synth';

describe('a real bundling synth', () => {
  it('bundles every handler into an ESM module with a source map', () => {
    const synthesized = synthStage('dev', { bundling: true });

    const codeAssets = appFunctions(synthesized.json).map(
      ([, fn]) => (fn.Properties?.Code as { S3Key: string }).S3Key.replace(/\.zip$/, ''),
    );

    expect(codeAssets).toHaveLength(HANDLER_FILES);
    for (const hash of codeAssets) {
      const dir = join(synthesized.assembly.directory, `asset.${hash}`);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toMatch(/^import\{createRequire as \w+\}from"node:module"|^import \{ createRequire \} from 'node:module'/);
    }
  }, 120_000);
});
