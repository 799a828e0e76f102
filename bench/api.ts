/** The bearer token the bench's local runtime accepts as admin. */
export const BENCH_TOKEN = 'bench-admin-token';

/** One API call: the parsed JSON answer; any status of 400 or more throws with the answer's text. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<any>;

/** Calls the local runtime's HTTP API as core billing would, with the bench token. */
export function apiClient(baseUrl: string, token = BENCH_TOKEN): ApiCall {
  return async (method, path, body) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}
