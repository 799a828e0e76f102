import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(resolve(ROOT, file), 'utf8'));

describe('npm install scripts', () => {
  it('allows every locked package that has an install script, so a blocking npm still installs node@24 and esbuild', () => {
    const lock = readJson('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    const allowed = (readJson('package.json').allowScripts ?? {}) as Record<string, boolean>;

    expect(withScripts).toEqual(expect.arrayContaining(['node', 'esbuild']));
    for (const name of withScripts) expect({ name, allowed: allowed[name] }).toEqual({ name, allowed: true });
  });
});
