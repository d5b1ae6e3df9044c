/**
 * The text with the spaces and tabs before each line end (and at its end) removed: what template indentation
 * leaves behind (html-validate's no-trailing-whitespace). Line ends as a regular expression's `$` in
 * multiline mode knows them (\n, \r, U+2028, U+2029). Not `text.replace(/[ \t]+$/gm, '')`: that expression
 * backtracks over every run of indentation that does not end its line (about 2 ms for a 200 KB overview
 * page). This one looks only for a space or tab just before a line end, which cannot backtrack, and walks
 * back from there (a few tenths of a millisecond).
 */
export function withoutTrailingSpaces(text: string): string {
  const lastSpaceOfLine = /[ \t](?:[\n\r\u2028\u2029]|$)/g;
  let out = '';
  let kept = 0; // text before this index is in out
  for (let match = lastSpaceOfLine.exec(text); match; match = lastSpaceOfLine.exec(text)) {
    let start = match.index;
    while (start > kept && isSpaceOrTab(text.charCodeAt(start - 1))) start -= 1;
    out += text.slice(kept, start);
    kept = match.index + 1;
    // The line end itself is kept by the next slice; at the text's end the match is the last character.
    lastSpaceOfLine.lastIndex = kept;
  }
  return out + text.slice(kept);
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
