import { Controller, Get, Injectable } from '@nestjs/common';
import { ApiOkResponse, type OpenAPIObject } from '@nestjs/swagger';
import { ApiCommon } from '../../common/openapi';

/**
 * The document, read from every controller once the app is assembled (configureApp gives the builder), and
 * built at its first request: most nodes are never asked, and building it at start cost every node start
 * time and memory.
 */
@Injectable()
export class ApiDocument {
  private built: OpenAPIObject | null = null;
  build: (() => OpenAPIObject) | null = null;

  get document(): OpenAPIObject {
    this.built ??= this.build!();
    return this.built;
  }
}

@Controller('api/docs')
@ApiCommon()
export class ApiDocsController {
  constructor(private readonly holder: ApiDocument) {}

  /** This document: OpenAPI 3, JSON. */
  @Get()
  @ApiOkResponse({ description: 'The OpenAPI 3 document of the JSON API', schema: { type: 'object' } })
  docs(): OpenAPIObject {
    return this.holder.document;
  }
}
