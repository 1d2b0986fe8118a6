/** Route annotations read by the AuthGuard. A route with neither needs at least `viewer`. */
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '@runway/contracts';

export const ROLES_KEY = 'runway:roles';
export const PUBLIC_KEY = 'runway:public';

/** The caller needs one of these roles (admin always passes). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** No token needed: health, metrics, API docs. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface Principal {
  tokenId: string;
  name: string;
  roles: Role[];
  /** For agent tokens: the one host this token may act for. */
  host?: string;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
