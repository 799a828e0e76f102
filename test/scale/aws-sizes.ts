/** DynamoDB's item size quota: 400 KB, counted as DynamoDB counts (attribute names included). */
export const DYNAMO_ITEM_LIMIT_BYTES = 409_600;

/**
 * An item's size by DynamoDB's rules: each attribute's name plus its value; a string its UTF-8
 * bytes; a number 1 byte per two significant digits plus 1; a boolean or null 1; a list or map
 * 3 bytes plus 1 per element plus its elements (a map's keys counted like names).
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return Math.ceil(significantDigits(value) / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
  if (typeof value === 'object') return 3 + Object.entries(value).reduce((sum, [key, element]) => sum + 1 + utf8(key) + valueBytes(element), 0);
  throw new Error(`no DynamoDB size for ${typeof value}`);
}

function significantDigits(value: number): number {
  return String(Math.abs(value)).replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length || 1;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** "used of limit (margin, percent)" for the printed report. */
export function margin(label: string, used: number, limit: number): string {
  return `${label}: ${used.toLocaleString('en')} of ${limit.toLocaleString('en')} (margin ${(limit - used).toLocaleString('en')}, ${((100 * used) / limit).toFixed(1)}% used)`;
}
