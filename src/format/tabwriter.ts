/**
 * Go's text/tabwriter, for the settings pprof uses in -tags (minwidth 0, padding 1, pad ' ',
 * AlignRight): cells end at tabs, a column is aligned over each block of consecutive lines that have a
 * cell in it, and the text after a line's last tab is not aligned.
 */
export function tabwrite(text: string, padding = 1): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  // The final "\n" leaves an empty last line that is not output.
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  const out: string[] = [];
  const widths: number[] = [];
  const runes = (s: string) => [...s].length;

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let line = '';
      cells.forEach((c, j) => {
        if (j < cells.length - 1 && j < widths.length) line += ' '.repeat(Math.max(0, widths[j]! - runes(c))) + c;
        else line += c;
      });
      out.push(line);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let width = 0;
      for (; cur < line1; cur++) {
        const cells = lines[cur]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, runes(cells[column]!) + padding);
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
      cur--; // the loop's increment revisits `cur`, which ended the block
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}
