import { relativeTime } from '../../common/format';
import { textField } from '../../common/html-form';
import type { ApiKeyListing } from './api-keys.repository';
import { atLeast, Role, ROLE_POWERS, ROLES } from './roles';
import type { SignedInUser } from './session';

export interface KeyForm {
  values: { name: string; role: string };
  errors: Record<string, string>;
  formError?: string;
}

export const EMPTY_KEY_FORM: KeyForm = { values: { name: '', role: '' }, errors: {} };

/** What the key form sent, as text to show again. */
export function enteredKey(body: unknown): KeyForm['values'] {
  return { name: textField(body, 'name'), role: textField(body, 'role') };
}

/** The account page: the person's role, the password form, their API keys and the form to make one. */
export function accountPageModel(
  user: SignedInUser,
  keys: ApiKeyListing[],
  nowMs: number,
  extras: {
    errors?: Record<string, string>;
    keyForm?: KeyForm;
    createdKey?: { name: string; role: Role; key: string };
  } = {},
) {
  const keyForm = extras.keyForm ?? EMPTY_KEY_FORM;
  const chosen = keyForm.values.role || user.role;
  return {
    title: 'Your account',
    username: user.username,
    rolePowers: ROLE_POWERS[user.role],
    // Single sign-on: the identity provider keeps the password, and the groups there give the role.
    sso: user.signIn === 'sso',
    errors: extras.errors ?? {},
    keys: keys.map((key) => ({
      ...key,
      created: relativeTime(key.createdAtMs, nowMs),
      createdExact: new Date(key.createdAtMs).toISOString(),
      lastUsed: key.lastUsedAtMs === null ? null : relativeTime(key.lastUsedAtMs, nowMs),
      lastUsedExact: key.lastUsedAtMs === null ? null : new Date(key.lastUsedAtMs).toISOString(),
      // Demoted since the key was made: it acts with the owner's role now.
      capped: !atLeast(user.role, key.role),
    })),
    keyForm: {
      ...keyForm,
      hasErrors: Object.keys(keyForm.errors).length > 0,
      // A key carries at most the person's own role.
      roleOptions: ROLES.filter((role) => atLeast(user.role, role)).map((role) => ({
        value: role,
        label: role,
        selected: role === chosen,
      })),
    },
    createdKey: extras.createdKey,
  };
}
