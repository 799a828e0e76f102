import type { z } from 'zod';

/**
 * A position in a list, as the opaque token a caller hands back for the next page: its JSON in
 * base64url. Whoever decodes it names the shape it must have.
 */
export function encodePageToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a token holds if it has `schema`'s shape; undefined for anything else (not base64url JSON, or another shape). */
export function decodePageToken<T>(token: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
