/**
 * The dashboard's events shared by every replica through Redis pub/sub (`REDIS_URL`): a page is
 * connected to one replica, a webhook may reach another. Each replica delivers what it receives
 * to its own pages at once and publishes it; it delivers what the others published and skips its
 * own messages when Redis echoes them back (each bus tags its messages with a random origin), so
 * every page gets each event exactly once. Pub/sub keeps nothing: what is published while a
 * replica is not subscribed never reaches it, and its pages show it on their next load.
 *
 * Without Redis (down, restarting, unreachable) a replica keeps serving its own events and says
 * so once in the log; it subscribes again as soon as Redis answers, and says that too.
 * https://redis.io/docs/latest/develop/interact/pubsub/ ("Delivery semantics": at-most-once).
 */
import { jsonRecord } from '../../src/json/record.ts';
import { randomUUID } from 'node:crypto';
import { RedisConnection, RedisSubscriber } from '../limits/redis-connection.ts';
import { isDashboardEvent, MemoryEventBus, type DashboardEvent, type EventBus } from './events.ts';

export const DASHBOARD_CHANNEL = 'rollgate:dashboard:events';

export interface RedisEventBusOptions {
  readonly log: { info(message: string): void; warn(message: string): void };
  /** The channel, `DASHBOARD_CHANNEL` by default (a test may keep two stands apart). */
  readonly channel?: string;
}

/** What travels on the channel: the event and which bus published it. */
interface Message {
  readonly origin: string;
  readonly event: DashboardEvent;
}

function messageOf(payload: string): Message | undefined {
  const value = jsonRecord(payload);
  const origin = value?.origin;
  const event = value?.event;
  return typeof origin === 'string' && isDashboardEvent(event) ? { origin, event } : undefined;
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class RedisEventBus implements EventBus {
  readonly #local = new MemoryEventBus();
  readonly #origin = randomUUID();
  readonly #channel: string;
  readonly #log: RedisEventBusOptions['log'];
  readonly #publisher: RedisConnection;
  readonly #subscriber: RedisSubscriber;
  /** Whether events are shared now; undefined until Redis first answers or fails. */
  #shared: boolean | undefined;
  #subscribed = false;

  constructor(url: string, options: RedisEventBusOptions) {
    this.#channel = options.channel ?? DASHBOARD_CHANNEL;
    this.#log = options.log;
    this.#publisher = new RedisConnection(url);
    this.#subscriber = new RedisSubscriber(url, [this.#channel], {
      message: (_channel, payload) => {
        const message = messageOf(payload);
        // Our own messages were delivered when published; a malformed one is dropped.
        if (message === undefined || message.origin === this.#origin) return;
        void this.#local.publish(message.event);
      },
      up: () => {
        this.#subscribed = true;
        this.#answers();
      },
      down: (error) => {
        this.#subscribed = false;
        this.#unreachable(error);
      },
    });
  }

  /** Whether this replica hears the others now (subscribed to Redis). */
  get shared(): boolean {
    return this.#shared === true;
  }

  /** Delivers to this replica's pages, then to the others' through Redis; never rejects. */
  async publish(event: DashboardEvent): Promise<void> {
    await this.#local.publish(event);
    try {
      await this.#publisher.command([
        'PUBLISH',
        this.#channel,
        JSON.stringify({ origin: this.#origin, event } satisfies Message),
      ]);
      this.#answers();
    } catch (error) {
      this.#unreachable(error);
    }
  }

  subscribe(listener: (event: DashboardEvent) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    await Promise.all([this.#subscriber.close(), this.#publisher.close(), this.#local.close()]);
  }

  #answers(): void {
    if (!this.#subscribed) return;
    if (this.#shared === false)
      this.#log.info('Redis at REDIS_URL answers again: dashboards share events across replicas.');
    this.#shared = true;
  }

  /** Said once per outage (the subscriber retries every few seconds; the log would fill). */
  #unreachable(error: unknown): void {
    if (this.#shared === false) return;
    this.#shared = false;
    this.#log.warn(
      `Redis at REDIS_URL is unreachable (${reason(error)}): dashboards get only the events this replica receives until it answers.`,
    );
  }
}
