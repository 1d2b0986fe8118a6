/**
 * Cowboys: hot patches applied by hand. Recorded from agents (`cowboy-applied`) or operators;
 * listed with where, since when, why and status; and a preflight that answers "no cowboys
 * anywhere" for scripts. Rollout applies them before every deploy (see rollouts.service).
 */
import { Body, Controller, Delete, Get, Inject, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type CloudEvent, type Cowboy, type CowboyAppliedV1, CowboyListSchema, CowboySchema, Events, type Preflight, PreflightSchema,
} from '@runway/contracts';
import { type JetStreamContext, Outbox } from '@runway/messaging';
import { asJson, CurrentPrincipal, DomainError, type Principal, Responds, Roles } from '@runway/platform';
import { RecordCowboyDto, RetireCowboyDto, UpdateCowboyDto } from './cowboy.dto';
import { type CowboyRow, CowboysRepository } from './cowboys.repository';

function view(c: CowboyRow): Cowboy {
  return asJson({
    id: c.id, host: c.host, patchHash: c.patch_hash, description: c.description, reason: c.reason, appliedBy: c.applied_by, appliedAt: c.applied_at,
    policy: c.policy, fixedBy: c.fixed_by, detected: c.detected, status: c.status, retiredAt: c.retired_at, retiredByRevision: c.retired_by_revision,
    retiredReason: c.retired_reason,
  });
}

@ApiTags('cowboys')
@ApiBearerAuth()
@Controller()
export class CowboysController {
  constructor(
    @Inject(CowboysRepository) private readonly repo: CowboysRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  @Get('cowboys')
  @Responds({ summary: 'Cowboys, newest first: where, since when, why, and whether still applied', status: 200, body: CowboyListSchema, errors: [400] })
  async list(@Query('status') status?: string): Promise<Cowboy[]> {
    if (status !== undefined && status !== 'applied' && status !== 'retired') {
      throw new DomainError('VALIDATION_FAILED', 'status: must be applied or retired', { fields: [{ field: 'status', errors: ['must be applied or retired'] }] });
    }
    return (await this.repo.list(status)).map(view);
  }

  @Get('preflight/cowboys')
  @Responds({
    summary: 'For scripts before a rollout: `clean` is true only when no cowboy is applied anywhere', status: 200, body: PreflightSchema,
  })
  async preflight(): Promise<Preflight> {
    const live = await this.repo.live(null);
    return { clean: live.length === 0, count: live.length, hosts: [...new Set(live.map((c) => c.host))].sort(), cowboys: live.map(view) };
  }

  @Post('cowboys')
  @Roles('operator')
  @Responds({ summary: 'Records a cowboy applied by hand, on each of its servers', status: 201, body: CowboyListSchema, errors: [400, 403] })
  async record(@Body() dto: RecordCowboyDto, @CurrentPrincipal() who: Principal): Promise<Cowboy[]> {
    return this.repo.transaction(async (em) => {
      const rows: CowboyRow[] = [];
      for (const host of [...new Set(dto.hosts)]) {
        rows.push(await this.repo.record(em, {
          host, patchHash: dto.patchHash, description: dto.description, reason: dto.reason, appliedBy: who.name, appliedAt: new Date(),
          policy: dto.policy, fixedBy: dto.fixedBy, detected: false,
        }));
        await this.outbox.enqueue(em, Events.CowboyApplied, {
          host, patchHash: dto.patchHash, reason: dto.reason, appliedBy: who.name, fixedBy: dto.fixedBy, policy: dto.policy, detected: false,
        }, { reason: dto.reason });
      }
      return rows.map(view);
    });
  }

  @Patch('cowboys/:id')
  @Roles('operator')
  @Responds({ summary: 'Sets a live cowboy\'s fixing revision (when it lands) or its policy', status: 200, body: CowboySchema, errors: [400, 403, 404] })
  async update(@Param('id', new ParseUUIDPipe()) id: string, @Body() dto: UpdateCowboyDto): Promise<Cowboy> {
    const row = await this.repo.transaction((em) => this.repo.update(em, id, dto));
    if (!row) throw new DomainError('NOT_FOUND', `no live cowboy ${id}`);
    return view(row);
  }

  @Delete('cowboys/:id')
  @Roles('operator')
  @Responds({ summary: 'Retires a live cowboy, with the reason', status: 200, body: CowboySchema, errors: [400, 403, 404] })
  async retire(@Param('id', new ParseUUIDPipe()) id: string, @Body() dto: RetireCowboyDto, @CurrentPrincipal() who: Principal): Promise<Cowboy> {
    return this.repo.transaction(async (em) => {
      const row = await this.repo.retire(em, id, `${dto.reason} (${who.name})`, null);
      if (!row) throw new DomainError('NOT_FOUND', `no live cowboy ${id}`);
      await this.outbox.enqueue(em, Events.CowboyRemoved, { host: row.host, patchHash: row.patch_hash, reason: row.retired_reason! }, { reason: dto.reason });
      return view(row);
    });
  }

  /** Agents report the cowboys they find (and those an operator applied through them). */
  @EventPattern<string>(Events.CowboyApplied.type, { ignoreOwnEvents: true })
  async onApplied(@Payload() e: CloudEvent<CowboyAppliedV1>, @Ctx() ctx: JetStreamContext) {
    const d = e.data;
    await this.repo.record(ctx.tx, {
      host: d.host, patchHash: d.patchHash, reason: d.reason, appliedBy: d.appliedBy, appliedAt: new Date(e.time), policy: d.policy, fixedBy: d.fixedBy, detected: d.detected,
    });
  }
}
