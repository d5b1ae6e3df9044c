import { withoutTrailingSpaces } from './trailing-spaces';

describe('withoutTrailingSpaces', () => {
  it('removes spaces and tabs at the end of every line, the last one too, and nothing else', () => {
    expect(withoutTrailingSpaces('  <p>a</p>  \n\t<td> b </td>\t \n   \nend \t')).toBe(
      '  <p>a</p>\n\t<td> b </td>\n\nend',
    );
  });

  it('ends lines where a multiline regular expression does (a carriage return too), and keeps no-break spaces and empty text', () => {
    expect(withoutTrailingSpaces('a\u00a0\nb \r\n')).toBe('a\u00a0\nb\r\n');
    expect(withoutTrailingSpaces('')).toBe('');
    expect(withoutTrailingSpaces('\n\n')).toBe('\n\n');
  });

  it('gives what the regular expression it replaces gives, on indented text of every shape', () => {
    const pieces = [' ', '\t', '\n', 'x', '  ', '\r\n', '<td>', '\u2028', '\u00a0'];
    let seed = 7;
    for (let round = 0; round < 500; round += 1) {
      let text = '';
      for (let i = 0; i < 40; i += 1) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        text += pieces[seed % pieces.length];
      }
      expect(withoutTrailingSpaces(text)).toBe(text.replace(/[ \t]+$/gm, ''));
    }
  });
});
