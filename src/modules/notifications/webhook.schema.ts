import type { SchemaObject } from '@nestjs/swagger';
import { WEBHOOK_EVENT_KINDS } from './webhook-rules';

/** The answers of /api/cluster/webhooks, for the OpenAPI document (webhooks.service.ts holds the types). */
const TIME = (nullable: boolean): SchemaObject => ({ type: 'string', format: 'date-time', nullable });

const DELIVERY: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'Also the idempotency key sent in the payload and Idempotency-Key' },
    kind: { type: 'string', description: 'The event kind, or "test"' },
    eventId: { type: 'integer', nullable: true },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    createdAt: TIME(false),
    lastAttemptAt: TIME(true),
    lastStatusCode: { type: 'integer', nullable: true },
    lastError: { type: 'string', nullable: true },
    nextAttemptAt: TIME(true),
    deliveredAt: TIME(true),
  },
};

export const WEBHOOK_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    url: {
      type: 'string',
      nullable: true,
      description: "Scheme and host only; null when this node's ENCRYPTION_KEY cannot decrypt it",
    },
    decryptable: { type: 'boolean' },
    events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_KINDS] } },
    createdAt: TIME(false),
    createdBy: { type: 'string' },
    recentDeliveries: { type: 'array', items: DELIVERY },
  },
};

export const TEST_QUEUED_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { deliveryId: { type: 'string' }, message: { type: 'string' } },
};
