import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotFound, isVendorId } from '@bg/domain';
import { registeredVendors, vendorDescriptor } from '@bg/adapters';
import { Public } from '../common/auth.guard';
import { ApiOk, ApiPage } from '../common/openapi';
import { vendorSchema } from './vendors.dto';

function describe(vendor: Parameters<typeof vendorDescriptor>[0]) {
  const d = vendorDescriptor(vendor);
  return {
    ...d.capabilities,
    defaultEndpoint: d.defaultEndpoint,
    credentialFields: d.credentialFields,
  };
}

@ApiTags('vendors')
@Controller('v1/vendors')
export class VendorsController {
  @Get()
  @Public()
  @ApiOperation({
    summary: "Each vendor's capabilities: operations, workloads, restore granularity, limits and connection credential fields.",
  })
  @ApiPage(vendorSchema, 'Every vendor (one page).')
  list() {
    return { items: registeredVendors().map(describe), nextCursor: null };
  }

  @Get(':vendor')
  @Public()
  @ApiOperation({ summary: "One vendor's capabilities and connection fields." })
  @ApiOk(vendorSchema)
  get(@Param('vendor') vendor: string) {
    if (!isVendorId(vendor) || !registeredVendors().includes(vendor)) throw new NotFound('vendor', vendor);
    return describe(vendor);
  }
}
