/** What GET /health says: 503 until the runtime serves every request, and again once it stops. */
export class Readiness {
  private ready = false;
  private stopped = false;

  readonly isReady = (): boolean => this.ready;

  markReady(): void {
    this.ready = !this.stopped;
  }

  markStopped(): void {
    this.stopped = true;
    this.ready = false;
  }
}
