import { Test } from '@nestjs/testing';
import { NodeKeys } from '../environment/node-keys';
import { KeyCrypto } from '../verification/key-crypto';
import type { ComponentChecks } from '../cluster/component-rules';
import { PrismaService } from '../database/prisma.service';
import { ComponentsService } from './components.service';
import type { ComponentRecord, ServerRecord } from '../cluster/cluster.repository';
import { ComponentsRepository } from './components.repository';
import { EvaluatedComponent, Role, ClusterService } from '../cluster/cluster.service';

const ok: ComponentChecks = { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: null };

function evaluated(
  serverName: string,
  type: 'web' | 'service',
  role: Role | null,
  options: { live?: boolean; manual?: boolean; siblings?: number; drained?: boolean } = {},
): EvaluatedComponent {
  const server: ServerRecord = {
    id: serverName,
    name: serverName,
    os: 'Linux',
    ipAddress: '10.0.0.1',
    components: [],
  };
  const component = {
    id: `${serverName}-${type}`,
    type,
    addedManually: options.manual ?? false,
    drainedAtMs: options.drained ? 1 : null,
  } as ComponentRecord;
  server.components = Array.from({ length: options.siblings ?? 2 }, () => component);
  return {
    server,
    component,
    checks: { ...ok, heartbeat: options.live === false ? 'stale' : 'ok' },
    role,
    status: 'ok',
    duplicate: null,
  };
}

describe('ComponentsService', () => {
  let components: EvaluatedComponent[];
  let sut: ComponentsService;

  beforeEach(async () => {
    const module = await Test.createTestingModule({
      providers: [
        ComponentsService,
        {
          provide: KeyCrypto,
          useValue: new KeyCrypto(new NodeKeys(Buffer.alloc(32, 1), Buffer.alloc(32, 2))),
        },
        { provide: ComponentsRepository, useValue: {} },
        // Previews read no transaction; drains and resumes are tested against real databases (test/e2e/drain).
        { provide: PrismaService, useValue: {} },
        {
          provide: ClusterService,
          useValue: { evaluate: async () => ({ settings: { heartbeatFrequencySeconds: 10 }, components }) },
        },
      ],
    }).compile();
    sut = module.get(ComponentsService);
  });

  const consequences = async (id: string) => (await sut.previewRemoval(id)).consequences;

  it('warns that a running node comes back, and that removing the primary hands over to a backup', async () => {
    components = [evaluated('a', 'service', 'primary'), evaluated('b', 'service', 'backup')];
    expect(await consequences('a-service')).toEqual([
      'Its node is still running: it registers again at its next heartbeat (within 10 seconds). To take the server out for good, stop its node first.',
      'It is the primary service component: its lease ends with it, and a backup takes over at its next heartbeat.',
    ]);
  });

  it('says when removing the primary leaves nobody to take over', async () => {
    components = [
      evaluated('a', 'service', 'primary'),
      evaluated('b', 'service', 'inactive', { live: false }),
    ];
    expect(await consequences('a-service')).toContain(
      'It is the primary service component, and no other live service component can take over: cluster-wide work stops until one runs.',
    );
  });

  it('says which backup is the last one, and when a server leaves the list with its last component', async () => {
    components = [
      evaluated('a', 'service', 'primary'),
      evaluated('b', 'service', 'backup', { live: true, siblings: 1 }),
    ];
    expect(await consequences('b-service')).toEqual([
      expect.stringContaining('Its node is still running'),
      'It is the last backup service component: the cluster is left with no backup until another runs.',
      'It is the last component of b, so the server leaves the list too.',
    ]);
  });

  it('says that a component added by hand does not come back, and that a stopped one comes back only if it starts', async () => {
    components = [
      evaluated('m', 'web', null, { manual: true }),
      evaluated('s', 'service', 'inactive', { live: false }),
    ];
    expect((await consequences('m-web'))[0]).toBe(
      'It was added by hand and never sends a heartbeat: once removed, it does not come back.',
    );
    expect((await consequences('s-service'))[0]).toBe(
      'Its node has stopped sending heartbeats; if it starts again, it registers again.',
    );
  });

  it('warns that a drained component of a running node comes back undrained when it is removed', async () => {
    components = [
      evaluated('a', 'service', 'primary'),
      evaluated('b', 'service', 'drained', { drained: true }),
    ];
    expect(await consequences('b-service')).toContain(
      'It is drained: registered again, it comes back undrained and may become primary. To keep it out during maintenance, leave it drained instead.',
    );
    expect(await consequences('a-service')).not.toContain(expect.stringContaining('It is drained'));
  });

  it('answers 404 for a component that is not there', async () => {
    components = [];
    await expect(sut.previewRemoval('nope')).rejects.toMatchObject({ status: 404 });
  });
});
