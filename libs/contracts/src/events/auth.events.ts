/**
 * Events that keep every service's copy of the API-token registry in step. Only the SHA-256
 * hash of a token travels: the secret is shown once to whoever issued it and never stored.
 */
import { ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { ROLES, type Role } from '../vocabulary';
import { HOST_PATTERN } from './common';

export class TokenIssuedV1 {
  @IsUUID() tokenId!: string;
  @IsString() @MaxLength(200) name!: string;
  @IsArray() @ArrayMinSize(1) @IsIn(ROLES, { each: true }) roles!: Role[];
  /** For agent tokens: the only host the token may act for. */
  @IsOptional() @IsString() @Matches(HOST_PATTERN) host?: string;
  @IsString() @Matches(/^[0-9a-f]{64}$/) sha256!: string;
  @IsString() @MaxLength(256) issuedBy!: string;
}

export class TokenRevokedV1 {
  @IsUUID() tokenId!: string;
  @IsString() @MaxLength(256) revokedBy!: string;
}
