/**
 * Issuing and revoking API tokens (admin only), and keeping this service's copy of the
 * registry in step with tokens issued at any other service.
 */
import { Body, Controller, Delete, Get, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  type CloudEvent, Events, HOST_PATTERN, type IssuedToken, IssuedTokenSchema, type Role, ROLES, type TokenHolder, TokenHolderSchema, type TokenIssuedV1,
  TokenListSchema, type TokenRecord, type TokenRevokedV1,
} from '@runway/contracts';
import { type JetStreamContext, Outbox } from '@runway/messaging';
import { DomainError } from '../errors';
import { asJson } from '../http/json';
import { Responds } from '../http/openapi';
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

  @Post()
  @Roles('admin')
  @Responds({ summary: 'Issues a token: the secret is in this answer only; Runway keeps its hash', status: 201, body: IssuedTokenSchema, errors: [400, 403] })
  async issue(@Body() dto: IssueTokenDto, @CurrentPrincipal() who: Principal): Promise<IssuedToken> {
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

  @Get('me')
  @Responds({
    summary: 'Who the calling token is and what it may do: for clients that show only what a user can act on', status: 200, body: TokenHolderSchema,
  })
  me(@CurrentPrincipal() who: Principal | undefined): TokenHolder {
    // With RUNWAY_PUBLIC_READS an anonymous GET gets this far: there is nobody to describe.
    if (!who) throw new DomainError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    return { tokenId: who.tokenId, name: who.name, roles: who.roles, host: who.host ?? null };
  }

  @Get()
  @Roles('admin')
  @Responds({ summary: 'Every token, revoked ones too, without their hashes', status: 200, body: TokenListSchema, errors: [403] })
  list(): Promise<TokenRecord[]> {
    return asJson(this.tokens.list());
  }

  @Delete(':id')
  @Roles('admin')
  @Responds({ summary: 'Revokes a token, at every service', status: 204, body: null, errors: [400, 403, 404] })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal): Promise<void> {
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
