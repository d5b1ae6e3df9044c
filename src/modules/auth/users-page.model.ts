import { relativeTime } from '../../common/format';
import { textField } from '../../common/html-form';
import { Role, ROLE_POWERS, ROLES } from './roles';
import type { UserListing } from './users.repository';

export interface UsersForm {
  values: { username: string; role: string };
  errors: Record<string, string>;
  formError?: string;
}

export const EMPTY_USER_FORM: UsersForm = { values: { username: '', role: 'viewer' }, errors: {} };

/** What the form sent, as text to show again (anything else is shown as empty). */
export function enteredUser(body: unknown): UsersForm['values'] {
  return { username: textField(body, 'username'), role: textField(body, 'role') || 'viewer' };
}

const SIGN_IN_LABELS: Record<string, string> = { password: 'Password', sso: 'Single sign-on' };

function roleOptions(selected: string) {
  return ROLES.map((role) => ({ value: role, label: role, selected: role === selected }));
}

/** The Users page: every user with a form for the role and one to remove; the form to add one. */
export function usersPageModel(
  users: UserListing[],
  nowMs: number,
  selfId: string | null,
  form: UsersForm,
  created?: { username: string; role: Role; password: string },
) {
  const administrators = users.filter((user) => user.role === 'administrator').length;
  return {
    title: 'Users',
    users: users.map((user) => ({
      id: user.id,
      username: user.username,
      role: user.role,
      roleOptions: roleOptions(user.role),
      lastSignIn: user.lastSignInAtMs === null ? null : relativeTime(user.lastSignInAtMs, nowMs),
      lastSignInExact: user.lastSignInAtMs === null ? null : new Date(user.lastSignInAtMs).toISOString(),
      signIn: SIGN_IN_LABELS[user.signIn] ?? user.signIn,
      self: user.id === selfId,
      // Single sign-on: the role comes from OIDC_ROLE_MAPPING at every sign-in, not from this page.
      fromDirectory: user.signIn === 'sso',
      // The last administrator keeps the role and the account (the database refuses it too).
      last: user.role === 'administrator' && administrators === 1,
    })),
    powers: ROLES.map((role) => ({ role, text: ROLE_POWERS[role] })),
    form: {
      ...form,
      roleOptions: roleOptions(form.values.role),
      hasErrors: Object.keys(form.errors).length > 0,
    },
    created,
  };
}
