/**
 * AWS Signature Version 4 for the deployed console's API calls, with the browser's Web Crypto
 * (no SDK). Checked against @smithy/signature-v4 and AWS's published example in
 * test/browser/console-modules.test.ts.
 *
 * The console calls the API through its own CloudFront origin (`/v1/*` is a behaviour whose
 * origin is API Gateway), so the request that API Gateway verifies is not the one the browser
 * sends: CloudFront replaces the Host header with the API's host and prepends the stage as the
 * origin path. The signature is therefore computed for `host` and `pathPrefix + path`.
 */

const encoder = new TextEncoder();

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(data) {
  return hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
}

async function hmac(key, data) {
  const cryptoKey = await crypto.subtle.importKey('raw', typeof key === 'string' ? encoder.encode(key) : key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data));
}

/** RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function uriEncode(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Every service but S3 signs the path with each segment encoded once more than it is sent. */
function canonicalPath(path) {
  return path
    .split('/')
    .map((segment) => uriEncode(segment))
    .join('/');
}

function canonicalQuery(query) {
  return [...query]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** "20261125T073000Z" */
export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * The headers that sign one request: `authorization`, `x-amz-date` and, for temporary
 * credentials, `x-amz-security-token`. Signs `host`, `x-amz-date`, the session token and the
 * payload's hash.
 *
 * @param {{ method: string, host: string, path: string, query?: Iterable<[string, string]>,
 *   body?: string, region: string, service: string,
 *   credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string },
 *   date?: Date }} request
 */
export async function signRequest({ method, host, path, query = [], body = '', region, service, credentials, date = new Date() }) {
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const headers = { host, 'x-amz-date': stamp };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    names.map((name) => `${name}:${String(headers[name]).trim()}\n`).join(''),
    signedHeaders,
    await sha256Hex(body ?? ''),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256Hex(canonicalRequest)].join('\n');
  let key = await hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, stringToSign));
  const result = {
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    'x-amz-date': stamp,
  };
  if (credentials.sessionToken) result['x-amz-security-token'] = credentials.sessionToken;
  return result;
}
