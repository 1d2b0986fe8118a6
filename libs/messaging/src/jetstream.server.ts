/**
 * A Nest transport over JetStream, so services handle events with `@EventPattern(type)` and
 * keep Nest's DI, pipes and interceptors. Each handler pattern becomes one durable pull
 * consumer (see EventConsumer). Handlers get the validated CloudEvent as `@Payload()` and a
 * `JetStreamContext` as `@Ctx()`, whose `tx` is the inbox transaction to write effects in.
 *
 *   @EventPattern<string>(Events.Promoted.type, { concurrency: 4 })
 *   onPromoted(@Payload() e: CloudEvent<PromotedV1>, @Ctx() ctx: JetStreamContext) { ... }
 */
import { BaseRpcContext, type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { lastValueFrom } from 'rxjs';
import type { DataSource, EntityManager } from 'typeorm';
import type { CloudEvent, Subjects } from '@runway/contracts';
import { EventConsumer, type EventHandlerContext } from './event-consumer';
import type { MessagingLogger } from './logger';

export class JetStreamContext extends BaseRpcContext<[EventHandlerContext]> {
  /** The inbox transaction. Present whenever the server was given a DataSource. */
  get tx(): EntityManager {
    const tx = this.args[0].tx;
    if (!tx) throw new Error('this consumer has no DataSource, so no transaction');
    return tx;
  }

  get deliveryCount(): number {
    return this.args[0].deliveryCount;
  }

  get subject(): string {
    return this.args[0].subject;
  }
}

export interface HandlerExtras {
  concurrency?: number;
  key?: string;
  /** Acknowledge, without handling, the events this service published itself. */
  ignoreOwnEvents?: boolean;
}

export interface JetStreamServerOptions {
  connection: NatsConnection;
  subjects: Subjects;
  service: string;
  dataSource?: DataSource;
  ackWaitMs?: number;
  maxDeliveries?: number;
  logger: MessagingLogger;
}

export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly consumers: EventConsumer[] = [];

  constructor(private readonly options: JetStreamServerOptions) {
    super();
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      for (const [pattern, handler] of this.messageHandlers) {
        const extras = (handler.extras ?? {}) as HandlerExtras;
        const consumer = new EventConsumer(
          this.options.connection,
          this.options.subjects,
          async (event: CloudEvent<object>, ctx: EventHandlerContext) => {
            const result = await handler(event, new JetStreamContext([ctx]));
            await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
          },
          {
            service: this.options.service,
            type: pattern,
            key: extras.key,
            concurrency: extras.concurrency,
            ackWaitMs: this.options.ackWaitMs,
            maxDeliveries: this.options.maxDeliveries,
            dataSource: this.options.dataSource,
            skip: extras.ignoreOwnEvents ? (e) => e.source === `runway/${this.options.service}` : undefined,
            logger: this.options.logger,
          },
        );
        await consumer.start();
        this.consumers.push(consumer);
      }
      callback();
    } catch (e) {
      callback(e);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers.length = 0;
  }

  on(): never {
    throw new Error('JetStreamServer does not emit transport events');
  }

  unwrap<T>(): T {
    return this.options.connection as T;
  }
}
