/**
 * Connections to Redis speaking RESP2 (https://redis.io/docs/latest/develop/reference/protocol-spec/),
 * enough for the budget's EVAL calls, the leases and the dashboard's pub/sub. Probot loads ioredis only through `npx` at run time, which a
 * server without registry access cannot do, so the App speaks the protocol itself: commands are
 * arrays of bulk strings, replies are parsed as they arrive, in order.
 */
import net from 'node:net';

export type RedisReply = string | number | null | RedisReply[];

export class RedisReplyError extends Error {}

interface Pending {
  resolve(reply: RedisReply): void;
  reject(error: Error): void;
}

/** A parsed reply and the offset after it, or undefined while the reply is incomplete. */
function parseReply(
  buffer: Buffer,
  offset: number,
): { value: RedisReply | RedisReplyError; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RedisReplyError(line), next };
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
      const items: RedisReply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (item === undefined) return undefined;
        if (item.value instanceof RedisReplyError) return { value: item.value, next: item.next };
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      throw new RedisReplyError(`unexpected RESP type byte '${type}'`);
  }
}

function encode(args: readonly (string | number)[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${String(a)}\r\n`).join('')}`;
}

function redisUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:')
    throw new Error(`REDIS_URL must be a redis:// URL, got '${parsed.protocol}'`);
  return parsed;
}

/** The AUTH command of a URL's user and password, if it has a password. */
function authCommand(url: URL): string[] | undefined {
  const password = decodeURIComponent(url.password);
  const user = decodeURIComponent(url.username);
  if (password === '') return undefined;
  return user === '' ? ['AUTH', password] : ['AUTH', user, password];
}

/** A lazily (re)connecting Redis client for `redis://[user:password@]host:port[/db]` URLs. */
export class RedisConnection {
  readonly #url: URL;
  #socket: net.Socket | undefined;
  #ready: Promise<void> | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];

  constructor(url: string) {
    this.#url = redisUrl(url);
  }

  /** Sends one command; rejects with `RedisReplyError` on an error reply or a lost connection. */
  async command(args: readonly (string | number)[]): Promise<RedisReply> {
    await this.#connect();
    return this.#send(args);
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((closed) => {
      socket.once('close', () => {
        closed();
      });
      socket.end();
    });
  }

  #send(args: readonly (string | number)[]): Promise<RedisReply> {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed)
      return Promise.reject(new RedisReplyError('not connected to Redis'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(encode(args));
    });
  }

  #connect(): Promise<void> {
    if (this.#ready !== undefined && this.#socket !== undefined && !this.#socket.destroyed)
      return this.#ready;
    const port = Number(this.#url.port || 6379);
    const host = this.#url.hostname || '127.0.0.1';
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('close', () => {
      this.#failPending(new RedisReplyError(`the connection to Redis at ${host}:${port} closed`));
    });
    socket.on('error', () => {
      // 'close' follows and fails what is pending.
    });
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }).then(async () => {
      const auth = authCommand(this.#url);
      if (auth !== undefined) await this.#send(auth);
      const db = this.#url.pathname.replace(/^\//, '');
      if (db !== '') await this.#send(['SELECT', db]);
    });
    this.#ready = ready;
    ready.catch(() => {
      this.#ready = undefined;
    });
    return ready;
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseReply(this.#buffer, offset);
      if (parsed === undefined) break;
      offset = parsed.next;
      const pending = this.#pending.shift();
      if (parsed.value instanceof RedisReplyError) pending?.reject(parsed.value);
      else pending?.resolve(parsed.value);
    }
    this.#buffer = this.#buffer.subarray(offset);
  }

  #failPending(error: Error): void {
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }
}

export interface SubscriberEvents {
  /** A message published to one of the channels. */
  message(channel: string, payload: string): void;
  /** Subscribed (again, after a lost connection): messages flow from now on. */
  up(): void;
  /** The connection failed or was lost; it is tried again after a growing pause. */
  down(error: Error): void;
}

/** The first pause before connecting again, doubled on each failure up to the last. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2_000;

/**
 * A connection in subscribe mode (RESP2 pub/sub: after SUBSCRIBE the connection carries only
 * `subscribe` confirmations and `message` pushes, three-element arrays, so it cannot share the
 * request/reply connection above). It connects at once, and again after any loss — a restarted
 * Redis, a dropped socket — subscribing anew each time, until `close`. Messages published while
 * it was not subscribed are not delivered: pub/sub keeps nothing.
 */
export class RedisSubscriber {
  readonly #url: URL;
  readonly #channels: readonly string[];
  readonly #events: SubscriberEvents;
  #socket: net.Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pauseMs = RECONNECT_FIRST_MS;
  #closed = false;

  constructor(url: string, channels: readonly string[], events: SubscriberEvents) {
    this.#url = redisUrl(url);
    this.#channels = channels;
    this.#events = events;
    this.#connect();
  }

  close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((closed) => {
      socket.once('close', () => {
        closed();
      });
      socket.end();
    });
  }

  #connect(): void {
    const port = Number(this.#url.port || 6379);
    const host = this.#url.hostname || '127.0.0.1';
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    this.#socket = socket;
    let buffer: Buffer = Buffer.alloc(0);
    let failure: Error | undefined;
    let subscribed = 0;
    socket.once('connect', () => {
      const auth = authCommand(this.#url);
      socket.write(`${auth === undefined ? '' : encode(auth)}${encode(['SUBSCRIBE', ...this.#channels])}`);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let offset = 0;
      for (;;) {
        let parsed;
        try {
          parsed = parseReply(buffer, offset);
        } catch (error) {
          failure = error instanceof Error ? error : new RedisReplyError(String(error));
          socket.destroy();
          return;
        }
        if (parsed === undefined) break;
        offset = parsed.next;
        const reply = parsed.value;
        if (reply instanceof RedisReplyError) {
          // AUTH or SUBSCRIBE refused: say why, and try again later (the password may be fixed).
          failure = reply;
          socket.destroy();
          return;
        }
        if (!Array.isArray(reply)) continue; // AUTH's +OK
        const [kind, channel, payload] = reply;
        if (kind === 'subscribe' && ++subscribed === this.#channels.length) {
          this.#pauseMs = RECONNECT_FIRST_MS;
          this.#events.up();
        } else if (kind === 'message' && typeof channel === 'string' && typeof payload === 'string')
          this.#events.message(channel, payload);
      }
      buffer = buffer.subarray(offset);
    });
    socket.on('error', (error) => {
      failure ??= error;
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#closed) return;
      this.#events.down(failure ?? new RedisReplyError(`the connection to Redis at ${host}:${port} closed`));
      this.#timer = setTimeout(() => {
        this.#connect();
      }, this.#pauseMs);
      this.#timer.unref();
      this.#pauseMs = Math.min(this.#pauseMs * 2, RECONNECT_MAX_MS);
    });
  }
}
