import { ROLES } from '../cluster/cluster.service';
import type { SchemaObject } from '@nestjs/swagger';

/** GET /api/cluster's answer, for the OpenAPI document (cluster-report.ts holds the types). */
const STATUS: SchemaObject = { type: 'string', enum: ['ok', 'warning', 'error'] };
const CHECK = (values: string[], nullable = false): SchemaObject => ({
  type: 'string',
  enum: values,
  nullable,
});

export const DRAINED_SCHEMA: SchemaObject = {
  type: 'object',
  nullable: true,
  description: 'Drained by an administrator: never takes the primary lease until resumed',
  properties: {
    by: { type: 'string', nullable: true },
    at: { type: 'string', format: 'date-time' },
  },
};

const COMPONENT: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string', enum: ['web', 'service'] },
    role: {
      type: 'string',
      enum: [...ROLES],
      nullable: true,
    },
    version: { type: 'string' },
    lastHeartbeatAt: { type: 'string', format: 'date-time', nullable: true },
    addedManually: { type: 'boolean' },
    status: STATUS,
    checks: {
      type: 'object',
      properties: {
        heartbeat: CHECK(['ok', 'stale']),
        version: CHECK(['ok', 'upgrading', 'out-of-sync']),
        encryptionKey: CHECK(['ok', 'decryption-failure']),
        machineKey: CHECK(['ok', 'decryption-failure'], true),
      },
    },
    drained: DRAINED_SCHEMA,
    duplicateProcess: {
      type: 'object',
      nullable: true,
      properties: {
        address: { type: 'string', nullable: true },
        lastSeenAt: { type: 'string', format: 'date-time' },
      },
    },
  },
};

export const CLUSTER_REPORT_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    checkedBy: { type: 'object', properties: { server: { type: 'string' }, version: { type: 'string' } } },
    configuration: {
      type: 'object',
      properties: {
        serverCount: { type: 'integer', description: 'The whole cluster, whatever the selection' },
        loadBalancing: { type: 'boolean' },
        automaticFailover: { type: 'boolean' },
        heartbeatFrequencySeconds: { type: 'integer' },
        staleTimeoutSeconds: { type: 'integer' },
        primaryServer: { type: 'string', nullable: true },
        backupServers: { type: 'array', items: { type: 'string' } },
      },
    },
    upgrade: {
      type: 'object',
      nullable: true,
      description: 'While the live servers run more than one release (a rolling upgrade); null otherwise',
      properties: {
        inProgress: { type: 'boolean', enum: [true] },
        newestVersion: { type: 'string' },
        since: { type: 'string', format: 'date-time', nullable: true },
        windowMinutes: { type: 'integer' },
        overdue: { type: 'boolean', description: 'Older releases are warnings again' },
        versions: {
          type: 'array',
          items: {
            type: 'object',
            properties: { version: { type: 'string' }, servers: { type: 'integer' } },
          },
        },
      },
    },
    servers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          os: { type: 'string' },
          ipAddress: { type: 'string' },
          status: STATUS,
          clockSkewMs: {
            type: 'integer',
            nullable: true,
            description: "That server's clock minus the database's",
          },
          database: {
            type: 'object',
            nullable: true,
            description:
              "How that server's node reaches the database, as it found out; null until it reported it",
            properties: {
              kind: { type: 'string', enum: ['sqlite', 'postgresql'] },
              route: { type: 'string', enum: ['direct', 'intermediary'], nullable: true },
              pooling: { type: 'string', enum: ['transaction', 'session'], nullable: true },
              systemIdentifier: { type: 'string', nullable: true },
              timeline: { type: 'integer', nullable: true },
              replica: { type: 'boolean', nullable: true },
              lockTimeout: { type: 'string', nullable: true },
              idleInTransactionTimeout: { type: 'string', nullable: true },
              problem: {
                type: 'string',
                nullable: true,
                description: 'Why this path is a warning, and the fix',
              },
            },
          },
          components: { type: 'array', items: COMPONENT },
        },
      },
    },
    selection: {
      type: 'object',
      properties: {
        status: { type: 'array', items: STATUS, nullable: true },
        name: { type: 'string', nullable: true },
        offset: { type: 'integer' },
        limit: { type: 'integer', nullable: true },
        matched: { type: 'integer', description: 'Servers that matched the filter, before offset and limit' },
      },
    },
  },
};
