/**
 * Passwords of 12 characters or more that appear near the top of published breach lists (and their
 * obvious keyboard and repetition patterns). Kept small and in code: the point is to refuse what an attacker
 * tries first, not to ship a dictionary; a package for this would bring megabytes of words.
 */
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789123',
  '123123123123',
  '111111111111',
  '000000000000',
  'qwertyuiopas',
  'qwertyuiop12',
  'qwertyuiop123',
  'qwerty123456',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'qazwsxedcrfv',
  'asdfghjkl123',
  'zxcvbnm12345',
  'password1234',
  'password12345',
  'password123!',
  'passwordpassword',
  'password@123',
  'administrator',
  'administrator1',
  'admin1234567',
  'adminadmin123',
  'iloveyou1234',
  'letmein12345',
  'welcome12345',
  'welcome@1234',
  'changeme1234',
  'football1234',
  'baseball1234',
  'superman1234',
  'trustno1trustno1',
  'princess1234',
  'sunshine1234',
  'monkey123456',
  'abcdefghijkl',
  'abc123abc123',
  'abcd1234abcd',
  'aaaaaaaaaaaa',
  'correcthorsebatterystaple',
]);

/** Why the password is too easy to guess, or null. */
export function commonPasswordProblem(password: string, username: string): string | null {
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is one of the most common passwords: choose another';
  if (new Set(lower).size <= 2) return 'repeats one or two characters: choose another';
  if (lower.includes(username.toLowerCase())) return 'must not contain your user name';
  return null;
}
