/**
 * Issuing and revoking API tokens (admin only), and keeping this service's copy of the
 * registry in step with tokens issued at any other service.
 */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type CloudEvent, Events, HOST_PATTERN, type Role, ROLES, type TokenIssuedV1, type TokenRevokedV1 } from '@runway/contracts';
import { type JetStreamContext, Outbox } from '@runway/messaging';
import { DomainError } from '../errors';
import { CurrentPrincipal, type Principal, Roles } from './auth.decorators';
import { hashToken, newTokenSecret, TokenRepository } from './token.repository';

export class IssueTokenDto {
  @ApiProperty({ example: 'buildbot' }) @IsString() @MinLength(1) @MaxLength(200) name!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) @IsArray() @ArrayMinSize(1) @IsIn(ROLES, { each: true }) roles!: Role[];
  @ApiPropertyOptional({ description: 'For agent tokens: the only host the token may act for' })
  @IsOptional() @IsString() @Matches(HOST_PATTERN) host?: string;
}

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('tokens')
export class TokensController {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(TokenRepository) private readonly tokens: TokenRepository,
    @Inject(Outbox) private readonly outbox: Outbox,
  ) {}

  /** Issues a token. The secret is in this answer only; Runway keeps its hash. */
  @Post()
  @Roles('admin')
  async issue(@Body() dto: IssueTokenDto, @CurrentPrincipal() who: Principal) {
    if (dto.roles.includes('agent') && !dto.host) throw new DomainError('VALIDATION_FAILED', 'host: an agent token must be bound to a host', { fields: [{ field: 'host', errors: ['required for role agent'] }] });
    const secret = newTokenSecret();
    const id = randomUUID();
    const record = { id, name: dto.name, roles: dto.roles, host: dto.host, sha256: hashToken(secret), issuedBy: who.name };
    await this.ds.transaction(async (em) => {
      await this.tokens.upsert(em, record);
      await this.outbox.enqueue(em, Events.TokenIssued, { tokenId: id, name: dto.name, roles: dto.roles, host: dto.host, sha256: record.sha256, issuedBy: who.name });
    });
    return { id, name: dto.name, roles: dto.roles, host: dto.host ?? null, token: secret };
  }

  /** Who the calling token is and what it may do: for clients that show only what a user can act on. */
  @Get('me')
  me(@CurrentPrincipal() who: Principal | undefined) {
    // With RUNWAY_PUBLIC_READS an anonymous GET gets this far: there is nobody to describe.
    if (!who) throw new DomainError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    return { tokenId: who.tokenId, name: who.name, roles: who.roles, host: who.host ?? null };
  }

  @Get()
  @Roles('admin')
  list() {
    return this.tokens.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    await this.ds.transaction(async (em) => {
      if (!(await this.tokens.revoke(em, id))) throw new DomainError('NOT_FOUND', `no live token ${id}`);
      await this.outbox.enqueue(em, Events.TokenRevoked, { tokenId: id, revokedBy: who.name });
    });
  }

  @EventPattern<string>(Events.TokenIssued.type)
  async onIssued(@Payload() e: CloudEvent<TokenIssuedV1>, @Ctx() ctx: JetStreamContext) {
    const d = e.data;
    await this.tokens.upsert(ctx.tx, { id: d.tokenId, name: d.name, roles: d.roles, host: d.host, sha256: d.sha256, issuedBy: d.issuedBy });
  }

  @EventPattern<string>(Events.TokenRevoked.type)
  async onRevoked(@Payload() e: CloudEvent<TokenRevokedV1>, @Ctx() ctx: JetStreamContext) {
    await this.tokens.revoke(ctx.tx, e.data.tokenId);
  }
}
