import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { requireAdmin } from '../common/auth.guard';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { GatewayMetrics } from './gateway-metrics';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(GatewayMetrics) private readonly metrics: GatewayMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    operationId: 'getMetrics',
    summary:
      "The gateway's Prometheus metrics (text exposition format). Operator only (ADMIN_API_KEY); METRICS_PORT serves the same without a key on an internal port.",
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4.', schema: { type: 'string' } })
  async scrape(@CurrentPrincipal() p: Principal): Promise<string> {
    requireAdmin(p);
    return this.metrics.registry.metrics();
  }
}
