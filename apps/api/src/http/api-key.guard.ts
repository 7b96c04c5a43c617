import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleInit, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig, TesseraConfig, UnauthorizedError } from '@tessera/common';

const PUBLIC_ROUTE = 'tessera:public';
/** Marks a route as reachable without an API key (health probes). */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Requires `x-api-key: <key>` or `Authorization: Bearer <key>` when TESSERA_API_KEYS is set. */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnModuleInit {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    if (this.config.apiKeys.length === 0)
      this.logger.warn('TESSERA_API_KEYS is not set: the API is open to anyone who can reach it');
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.config.apiKeys.length === 0) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers['x-api-key'];
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const given = (Array.isArray(header) ? header[0] : header) ?? bearer;
    if (!given) throw new UnauthorizedError('missing API key: send x-api-key or Authorization: Bearer');
    if (!this.config.apiKeys.some((k) => sameKey(k, given))) throw new UnauthorizedError('invalid API key');
    return true;
  }
}
