import { controlCharacterProblem, nameProblem, normalizeName } from './text-rules';

describe('text rules', () => {
  it('refuses control characters, NUL first of all, and allows tab only where asked', () => {
    expect(controlCharacterProblem('Ad\u0000min')).toBe('must not contain control characters');
    expect(controlCharacterProblem('a\u0085b')).toBe('must not contain control characters');
    expect(controlCharacterProblem('pass\tword')).toBe('must not contain control characters');
    expect(controlCharacterProblem('pass\tword', true)).toBeNull();
    expect(controlCharacterProblem('plain text, ünïcödé 漢字')).toBeNull();
  });

  it('refuses names that deceive: invisible, reordered, split over lines, or with half a character', () => {
    expect(nameProblem('\u200b\u200c\u200d\ufeff')).toBe('must contain a visible character');
    expect(nameProblem('\u00a0\u3000')).toBe('must contain a visible character');
    expect(nameProblem('node-\u202egnp.exe')).toMatch(/reorder text/);
    expect(nameProblem('a\u2066b\u2069')).toMatch(/reorder text/);
    expect(nameProblem('node-1\u2028node-2')).toMatch(/break lines/);
    expect(nameProblem('node\ud800')).toBe('must not contain an unpaired surrogate character');
    expect(nameProblem('web-01.example.org')).toBeNull();
    expect(nameProblem('サーバー 1 😀')).toBeNull();
  });

  it('compares names in one form: NFC, trimmed', () => {
    expect(normalizeName('  Cafe\u0301 ')).toBe('Café');
    expect(normalizeName(42)).toBe(42);
  });
});
