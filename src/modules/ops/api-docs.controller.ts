import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiOkResponse, type OpenAPIObject } from '@nestjs/swagger';
import { ApiCommon } from '../../common/openapi';

/** The document, made once the app is assembled (configureApp), since it is read from every controller. */
@Injectable()
export class ApiDocument {
  document: OpenAPIObject | null = null;
}

@Controller('api/docs')
@ApiCommon()
export class ApiDocsController {
  constructor(private readonly holder: ApiDocument) {}

  /** This document: OpenAPI 3, JSON. */
  @Get()
  @ApiOkResponse({ description: 'The OpenAPI 3 document of the JSON API', schema: { type: 'object' } })
  docs(): OpenAPIObject {
    return this.holder.document!;
  }
}
