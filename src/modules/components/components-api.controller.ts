import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiCommon, ERROR_SCHEMA } from '../../common/openapi';
import { COMPONENT_ADDED_SCHEMA, DRAIN_RESULT_SCHEMA } from './components-api.schema';
import { Body, Controller, Delete, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { DrainComponentDto } from './dto/drain-component.dto';
import { ComponentIdPipe } from './component-id.pipe';
import { Actor } from '../auth/actor.decorator';
import { ComponentsService } from './components.service';
import { AddComponentDto } from './dto/add-component.dto';
import { Requires } from '../auth/roles';

@Requires('operator')
@Controller('api/cluster/components')
@ApiTags('components')
@ApiCommon()
export class ComponentsApiController {
  constructor(private readonly components: ComponentsService) {}

  /**
   * 201 with the new component's id; 400 naming a bad field; 409 when the server already has one of that
   * type, or exists with another operating system or IP address.
   */
  @Post()
  @ApiCreatedResponse({ description: 'Added', schema: COMPONENT_ADDED_SCHEMA })
  @ApiConflictResponse({
    description: 'That server already has such a component, or exists with another OS or address',
    schema: ERROR_SCHEMA,
  })
  async add(@Body() body: AddComponentDto, @Actor() actor: string) {
    const { id } = await this.components.add(body, actor);
    return { id, ...body, addedManually: true };
  }

  /** 204; 404 when there is no such component. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Removed (and its server, when it was the last component)' })
  @ApiNotFoundResponse({ description: 'No such component', schema: ERROR_SCHEMA })
  async remove(@Param('id', ComponentIdPipe) id: string, @Actor() actor: string): Promise<void> {
    await this.components.remove(id, actor);
  }

  /**
   * 200: the service component never takes the primary lease until resumed; a primary with a live backup
   * loses its lease at once. 409 for a web component, or for the last eligible component without
   * `confirmLastEligible: true`. Draining a drained component changes nothing (`changed: false`).
   */
  @Post(':id/drain')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ description: 'Drained (or already drained)', schema: DRAIN_RESULT_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such component', schema: ERROR_SCHEMA })
  @ApiConflictResponse({
    description: 'A web component, or the last eligible one without confirmLastEligible',
    schema: ERROR_SCHEMA,
  })
  drain(@Param('id', ComponentIdPipe) id: string, @Body() body: DrainComponentDto, @Actor() actor: string) {
    return this.components.drain(id, actor, body?.confirmLastEligible === true);
  }

  /** 200: the service component may become primary again; resuming one not drained changes nothing. */
  @Post(':id/resume')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ description: 'Resumed (or was not drained)', schema: DRAIN_RESULT_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such component', schema: ERROR_SCHEMA })
  @ApiConflictResponse({ description: 'A web component', schema: ERROR_SCHEMA })
  resume(@Param('id', ComponentIdPipe) id: string, @Actor() actor: string) {
    return this.components.resume(id, actor);
  }
}
