import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderOpenApiDocument } from './openapi';

/** Writes docs/openapi.json from the route table: `npx tsx lambdas/api/write-openapi.ts`. */
const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

writeFileSync(OPENAPI_FILE, renderOpenApiDocument());
console.warn(`wrote ${OPENAPI_FILE}`);
