import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ERROR_CODES, NotFound, isErrorCode, type ErrorCatalogEntry } from '@bg/domain';
import { DataSource } from 'typeorm';
import { errorCatalogRepository } from '@bg/platform';
import { Public } from '../common/auth.guard';
import { ApiOk } from '../common/openapi';
import { APP_DB } from '../common/platform.providers';
import { errorCatalogSchema, errorCodeSchema } from './errors.dto';

@ApiTags('errors')
@Controller('v1/errors')
export class ErrorsController {
  /** The catalog only changes by migration, so it is read once per process. */
  private rows?: Promise<ErrorCatalogEntry[]>;

  constructor(@Inject(APP_DB) private readonly db: DataSource) {}

  private catalog(): Promise<ErrorCatalogEntry[]> {
    this.rows ??= errorCatalogRepository.listAll(this.db).catch((e) => {
      this.rows = undefined;
      throw e;
    });
    return this.rows;
  }

  @Get()
  @Public()
  @ApiOperation({
    summary: 'The normalized error codes and the catalog mapping each vendor error (vendor, vendorCode, httpStatus) to one.',
  })
  @ApiOk(errorCatalogSchema)
  async list() {
    return {
      codes: Object.entries(ERROR_CODES).map(([code, d]) => ({ code, status: d.status, title: d.title })),
      catalog: await this.catalog(),
    };
  }

  @Get(':code')
  @Public()
  @ApiOperation({ summary: 'One normalized code (the `type` of a problem+json answer points here) and the vendor errors mapped to it.' })
  @ApiOk(errorCodeSchema)
  async get(@Param('code') code: string) {
    if (!isErrorCode(code)) throw new NotFound('error code', code);
    const rows = (await this.catalog()).filter((r) => r.code === code);
    return { code, status: ERROR_CODES[code].status, title: ERROR_CODES[code].title, vendorErrors: rows };
  }
}
