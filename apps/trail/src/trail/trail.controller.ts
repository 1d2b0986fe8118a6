/** trail's API: reads only. Nothing but the event streams writes the trail. */
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { type Dora, DoraSchema, HOST_PATTERN, type Story, StorySchema, type TrailPage, TrailPageSchema } from '@runway/contracts';
import { Responds } from '@runway/platform';
import { TrailService } from './trail.service';

export class TrailQueryDto {
  @ApiPropertyOptional({ description: 'r<revno>, a sha or a sha prefix' }) @IsOptional() @IsString() @MaxLength(64) revision?: string;
  @ApiPropertyOptional({ description: 'A server\'s host' }) @IsOptional() @IsString() @Matches(HOST_PATTERN) server?: string;
  @ApiPropertyOptional({ description: 'A token\'s name, an agent\'s host, or runway' }) @IsOptional() @IsString() @MaxLength(256) actor?: string;
  @ApiPropertyOptional({ description: 'An event name (qa-status-changed), a full type, or dead-letter' }) @IsOptional() @IsString() @MaxLength(128) type?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) until?: string;
  @ApiPropertyOptional({ description: 'The `next` of the previous page' }) @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @ApiPropertyOptional({ default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit = 100;
}

export class DoraQueryDto {
  @ApiPropertyOptional({ description: 'Default: 30 days before until' }) @IsOptional() @IsISO8601({ strict: true }) since?: string;
  @ApiPropertyOptional({ description: 'Default: now' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
  @ApiPropertyOptional({ description: 'production (default), qa, or a server environment such as lpnet' })
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._-]{1,64}$/) environment?: string;
}

@ApiTags('trail')
@ApiBearerAuth()
@Controller()
export class TrailController {
  constructor(@Inject(TrailService) private readonly trail: TrailService) {}

  @Get('trail')
  @Responds({ summary: 'Everything that happened, newest first, filtered by revision, server, actor, type and time', status: 200, body: TrailPageSchema, errors: [400, 404] })
  page(@Query() q: TrailQueryDto): Promise<TrailPage> {
    return this.trail.page({
      revision: q.revision, server: q.server, actor: q.actor, type: q.type, cursor: q.cursor, limit: q.limit,
      since: q.since ? new Date(q.since) : undefined, until: q.until ? new Date(q.until) : undefined,
    });
  }

  @Get('story/:revision')
  @Responds({
    summary: 'A revision\'s story from landing to every server, in order, with who did each step and its lead time per stage',
    status: 200, body: StorySchema, errors: [400, 404, 409],
  })
  story(@Param('revision') revision: string): Promise<Story> {
    return this.trail.story(revision);
  }

  @Get('dora')
  @Responds({ summary: 'DORA\'s four keys over a window, with the rollouts and revisions behind each figure', status: 200, body: DoraSchema, errors: [400] })
  dora(@Query() q: DoraQueryDto): Promise<Dora> {
    const until = q.until ? new Date(q.until) : new Date();
    const since = q.since ? new Date(q.since) : new Date(until.getTime() - 30 * 86_400_000);
    return this.trail.dora(since, until, q.environment ?? 'production');
  }
}
