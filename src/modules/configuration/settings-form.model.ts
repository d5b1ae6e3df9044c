import type { EnteredSettings } from './dto/settings-form.dto';
import { describeDuration } from '../../common/format';
import type { SettingsField, SettingsValues } from './settings-rules';
import {
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_STALE_TIMEOUT_SECONDS,
  HEARTBEAT_RANGE,
  STALE_TIMEOUT_RANGE,
  DEFAULT_UPGRADE_WINDOW_MINUTES,
  UPGRADE_WINDOW_RANGE,
} from './settings-rules';

export interface SettingsFormState {
  /** As saved, or as entered (numbers as typed) when the form comes back with messages. */
  values: EnteredSettings;
  revision: number;
  errors: Partial<Record<SettingsField | string, string>>;
  warnings: string[];
  saved?: boolean;
  conflict?: { current: SettingsValues; message: string };
}

export function settingsFormModel(state: SettingsFormState) {
  return {
    title: 'Configure the cluster',
    ...state,
    hasErrors: Object.keys(state.errors).length > 0,
    help: {
      heartbeat: `From ${HEARTBEAT_RANGE.min} to ${HEARTBEAT_RANGE.max}; default ${DEFAULT_HEARTBEAT_SECONDS}.`,
      staleTimeout: `From ${STALE_TIMEOUT_RANGE.min} to ${STALE_TIMEOUT_RANGE.max} and at least three heartbeats; default ${DEFAULT_STALE_TIMEOUT_SECONDS}.`,
      upgradeWindow: `How long servers may run an older release than the newest before it is a warning. From ${UPGRADE_WINDOW_RANGE.min} (at once) to ${UPGRADE_WINDOW_RANGE.max}; default ${DEFAULT_UPGRADE_WINDOW_MINUTES}.`,
    },
    conflict: state.conflict && {
      message: state.conflict.message,
      current: {
        loadBalancing: state.conflict.current.loadBalancing ? 'enabled' : 'disabled',
        automaticFailover: state.conflict.current.automaticFailover ? 'enabled' : 'disabled',
        heartbeat: describeDuration(state.conflict.current.heartbeatFrequencySeconds),
        staleTimeout: describeDuration(state.conflict.current.staleTimeoutSeconds),
      },
    },
  };
}
