/**
 * What text a person or a script may give the cluster. Names are shown to administrators on every page,
 * so a name must not deceive: no control characters (a NUL also breaks PostgreSQL), no characters that
 * reorder or hide what follows (bidirectional overrides and isolates), no line or paragraph separators, no
 * lone halves of a surrogate pair, and at least one character one can see.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/u;
// eslint-disable-next-line no-control-regex -- likewise, with the tab
const CONTROL_OR_TAB = /[\u0000-\u001f\u007f-\u009f]/u;
/** Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the marks U+200E/U+200F, separators. */
const REORDERING_OR_SEPARATOR = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]/u;
const LONE_SURROGATE = /\p{Cs}/u;
/** Something one can see: not a space, separator, format character (zero-width …) or control. */
const VISIBLE = /[^\p{Z}\p{Cf}\p{Cc}\s]/u;

/** Why `text` is not acceptable as a text value, or null. Tab is allowed where `allowTab` says so. */
export function controlCharacterProblem(text: string, allowTab = false): string | null {
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired surrogate character';
  return (allowTab ? CONTROL : CONTROL_OR_TAB).test(text) ? 'must not contain control characters' : null;
}

/** Why `name` (already trimmed and normalized) is not acceptable as a name shown to people, or null. */
export function nameProblem(name: string): string | null {
  const control = controlCharacterProblem(name);
  if (control) return control;
  if (REORDERING_OR_SEPARATOR.test(name))
    return 'must not contain characters that reorder text or break lines (bidirectional controls, U+2028, U+2029)';
  if (!VISIBLE.test(name)) return 'must contain a visible character';
  return null;
}

/** Names are compared and shown in one form: Unicode NFC, without surrounding white space. */
export function normalizeName(value: unknown): unknown {
  return typeof value === 'string' ? value.normalize('NFC').trim() : value;
}
