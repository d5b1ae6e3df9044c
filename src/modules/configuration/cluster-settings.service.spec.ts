import { Test } from '@nestjs/testing';
import type { NewEvent } from '../events/event';
import { ClusterSettingsRepository } from './cluster-settings.repository';
import type { ClusterSettings } from './settings-rules';
import { ClusterSettingsService } from './cluster-settings.service';
import { SettingsConflictError, SettingsInvalidError } from './settings.errors';
import type { SettingsValues } from './settings-rules';

/** The settings row: saves only on the revision it holds, as the conditional UPDATE does. */
class FakeSettingsRow {
  row: ClusterSettings = {
    loadBalancing: false,
    automaticFailover: true,
    heartbeatFrequencySeconds: 10,
    staleTimeoutSeconds: 60,
    upgradeWindowMinutes: 60,
    revision: 4,
    changedAtMs: null,
    previousStaleTimeoutSeconds: null,
  };
  events: NewEvent[] = [];
  /** Someone else saves between this service's read and its write. */
  interleaved: Partial<SettingsValues> | null = null;

  async findSettings() {
    return { ...this.row };
  }

  async updateIfRevision(values: SettingsValues, basedOnRevision: number, event: NewEvent) {
    if (this.interleaved) {
      this.row = { ...this.row, ...this.interleaved, revision: this.row.revision + 1 };
      this.interleaved = null;
    }
    if (this.row.revision !== basedOnRevision) return false;
    this.row = { ...this.row, ...values, revision: basedOnRevision + 1 };
    this.events.push(event);
    return true;
  }
}

describe('ClusterSettingsService', () => {
  let row: FakeSettingsRow;
  let sut: ClusterSettingsService;

  beforeEach(async () => {
    row = new FakeSettingsRow();
    const module = await Test.createTestingModule({
      providers: [ClusterSettingsService, { provide: ClusterSettingsRepository, useValue: row }],
    }).compile();
    sut = module.get(ClusterSettingsService);
  });

  it('saves a change with an event naming who changed what, and answers the new revision', async () => {
    const { settings, warnings } = await sut.update({
      values: { heartbeatFrequencySeconds: 1, staleTimeoutSeconds: 3 },
      basedOnRevision: 4,
      actor: 'Admin',
    });
    expect(settings).toMatchObject({ heartbeatFrequencySeconds: 1, staleTimeoutSeconds: 3, revision: 5 });
    expect(warnings).toHaveLength(2);
    expect(row.events[0]).toMatchObject({
      kind: 'settings-changed',
      actor: 'Admin',
      message: 'Admin changed heartbeat frequency 10 s → 1 s, stale timeout 60 s → 3 s',
    });
  });

  it('refuses a change based on an older revision, and saves nothing', async () => {
    await expect(
      sut.update({ values: { loadBalancing: true }, basedOnRevision: 3, actor: 'Admin' }),
    ).rejects.toBeInstanceOf(SettingsConflictError);
    expect(row.row.loadBalancing).toBe(false);
    expect(row.events).toEqual([]);
  });

  it('loses to a save made between its read and its write, and says which revision won', async () => {
    row.interleaved = { automaticFailover: false };
    const attempt = sut.update({ values: { loadBalancing: true }, actor: 'Admin' });
    await expect(attempt).rejects.toMatchObject({ currentRevision: 5 });
    expect(row.row).toMatchObject({ loadBalancing: false, automaticFailover: false });
  });

  it('refuses values that break the rules, naming each field, and saves nothing', async () => {
    const attempt = sut.update({
      values: { heartbeatFrequencySeconds: 10, staleTimeoutSeconds: 20 },
      basedOnRevision: 4,
      actor: 'Admin',
    });
    await expect(attempt).rejects.toBeInstanceOf(SettingsInvalidError);
    await expect(attempt).rejects.toMatchObject({
      fieldErrors: { staleTimeoutSeconds: expect.stringContaining('at least three heartbeats') },
    });
    expect(row.row.revision).toBe(4);
  });

  it('writes nothing when nothing changes', async () => {
    await sut.update({ values: { heartbeatFrequencySeconds: 10 }, basedOnRevision: 4, actor: 'Admin' });
    expect(row.events).toEqual([]);
    expect(row.row.revision).toBe(4);
  });
});
