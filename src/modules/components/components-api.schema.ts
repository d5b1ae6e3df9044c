import type { SchemaObject } from '@nestjs/swagger';
import { ROLES } from '../cluster/cluster.service';
import { DRAINED_SCHEMA } from '../overview/cluster-report.schema';

/** The components API's answers, for the OpenAPI document. */
export const COMPONENT_ADDED_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    serverName: { type: 'string' },
    os: { type: 'string' },
    ipAddress: { type: 'string' },
    type: { type: 'string', enum: ['web', 'service'] },
    version: { type: 'string' },
    addedManually: { type: 'boolean', enum: [true] },
  },
};

/** POST /api/cluster/components/{id}/drain and …/resume. */
export const DRAIN_RESULT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    serverName: { type: 'string' },
    changed: { type: 'boolean', description: 'False when it was already in the state asked for' },
    drained: DRAINED_SCHEMA,
    role: { type: 'string', enum: [...ROLES] },
    message: { type: 'string', description: 'What happens now, in words' },
  },
};
