import { connect, type Socket } from 'node:net';
import type { BunRedisRawClient, RedisCommandArgument } from 'bullmq';

/**
 * A minimal Redis client (RESP2 over one TCP connection, commands pipelined) shaped like Bun's
 * built-in RedisClient, so that BullMQ's own Bun adapter (`createBunRedisClient`) drives it.
 *
 * Why it exists: BullMQ 6 leaves its Redis driver to the application (ioredis and node-redis are
 * optional peer dependencies) and the project installs neither; this keeps the BullMQ comparison
 * to the `bullmq` package alone. Like ioredis it writes every command at once and matches replies
 * in order, so it adds no round trips of its own. It counts the commands it sends.
 */
export class RespClient implements BunRedisRawClient {
  connected = false;
  onconnect?: (() => void) | null;
  onclose?: ((error?: Error) => void) | null;
  onerror?: ((error: Error) => void) | null;
  private socket: Socket | undefined;
  private readonly pending: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void }> = [];
  private buffered: Buffer = Buffer.alloc(0);

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly counter: { commands: number } = { commands: 0 },
  ) {}

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      this.socket = socket;
      socket.once('connect', () => {
        this.connected = true;
        this.onconnect?.();
        resolve();
      });
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      let failure: Error | undefined;
      socket.on('error', (error) => {
        failure = error;
        if (!this.connected) reject(error);
        else this.onerror?.(error);
      });
      socket.once('close', () => {
        const wasConnected = this.connected;
        this.connected = false;
        this.socket = undefined;
        for (const waiter of this.pending.splice(0)) waiter.reject(new Error('Connection closed'));
        if (wasConnected) this.onclose?.(failure);
      });
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  async duplicate(): Promise<this> {
    return new RespClient(this.host, this.port, this.counter) as this;
  }

  send<T = unknown>(command: string, args: RedisCommandArgument[]): Promise<T> {
    const socket = this.socket;
    if (!socket || !this.connected) return Promise.reject(new Error('Connection closed'));
    this.counter.commands++;
    const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n$${Buffer.byteLength(command)}\r\n${command}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (value: unknown) => void, reject });
      socket.write(Buffer.concat(parts));
    });
  }

  get(key: string): Promise<string | null> {
    return this.send('GET', [key]);
  }

  smembers(key: string): Promise<unknown[]> {
    return this.send('SMEMBERS', [key]);
  }

  incr(key: string): Promise<number> {
    return this.send('INCR', [key]);
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseReply(this.buffered, offset);
      if (!parsed) break;
      offset = parsed.next;
      const waiter = this.pending.shift();
      if (!waiter) continue;
      if (parsed.value instanceof Error) waiter.reject(parsed.value);
      else waiter.resolve(parsed.value);
    }
    this.buffered = offset === this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(offset);
  }
}

const CRLF = Buffer.from('\r\n');

type Reply = string | number | null | Error | Reply[];

/** One RESP2 reply starting at `offset`, or undefined when the buffer does not hold all of it yet. An error reply inside an array (EXEC) stays an Error value there. */
function parseReply(buffer: Buffer, offset: number): { value: Reply; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const values: Reply[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const element = parseReply(buffer, position);
        if (!element) return undefined;
        values.push(element.value);
        position = element.next;
      }
      return { value: values, next: position };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}
