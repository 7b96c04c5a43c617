import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { HEALTH_PROBES, HealthProbe, runHealthProbes } from '@tessera/common';
import { PublicRoute } from '../http/api-key.guard';

@ApiTags('health')
@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(@Inject(HEALTH_PROBES) private readonly probes: HealthProbe[]) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @ApiOkResponse({ description: 'process is alive' })
  live(): { status: 'ok'; uptimeS: number } {
    return { status: 'ok', uptimeS: Math.round(process.uptime()) };
  }

  /** Every backend (database, vector store, queue, tensor runtime) answers; 503 otherwise. */
  @Get('ready')
  @ApiOkResponse({ description: 'all components ready' })
  @ApiServiceUnavailableResponse({ description: 'a component is not ready' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string; components: object }> {
    const { ok, components } = await runHealthProbes(this.probes);
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'unavailable', components };
  }
}
