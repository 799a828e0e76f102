import type { WebhookAnswer, WebhookSender } from '../../ports/notifications';

/**
 * POSTs a webhook with a deadline. Redirects are not followed: a 3xx is the receiver's answer
 * (retried), never a second request to wherever it points, which the URL policy has not checked.
 */
export class HttpWebhookSender implements WebhookSender {
  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookAnswer> {
    try {
      const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      return { status: response.status };
    } catch (error) {
      return { error: error instanceof Error ? error.name : 'request failed' };
    }
  }
}
