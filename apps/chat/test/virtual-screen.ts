/**
 * A minimal terminal emulator for tests: applies the few control sequences readline and the chat
 * terminal write (CR, LF, cursor up/down/left/right, cursor to column, clear line, clear screen
 * down) to a grid of rows, wrapping text at the screen's width, so tests assert what a person
 * would see, not escape codes.
 */
export interface VirtualScreen {
  write(text: string): void;
  /** The visible rows, trailing spaces trimmed, trailing empty rows dropped. */
  rows(): string[];
  readonly cursor: { readonly row: number; readonly col: number };
}

/** A screen `columns` wide (text wraps there, as on a terminal); unbounded by default. */
export function createVirtualScreen(columns = Infinity): VirtualScreen {
  const grid: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (r: number): string[] => {
    while (grid.length <= r) grid.push([]);
    return grid[r] ?? [];
  };
  const put = (char: string): void => {
    if (col >= columns) {
      row++;
      col = 0;
    }
    const cells = line(row);
    while (cells.length < col) cells.push(' ');
    cells[col] = char;
    col++;
  };
  const apply = (n: number, final: string): void => {
    switch (final) {
      case 'A':
        row = Math.max(0, row - n);
        break;
      case 'B':
        row += n;
        break;
      case 'C':
        col += n;
        break;
      case 'D':
        col = Math.max(0, col - n);
        break;
      case 'G':
        col = Math.max(0, n - 1);
        break;
      case 'K':
        line(row).length = Math.min(line(row).length, col);
        break;
      case 'J':
        line(row).length = Math.min(line(row).length, col);
        grid.length = row + 1;
        break;
      default:
        break;
    }
  };
  return {
    write(text) {
      for (let i = 0; i < text.length; i++) {
        const char = text[i] ?? '';
        if (char === '\x1b' && text[i + 1] === '[') {
          const match = /^\[(\d*)([A-Za-z])/.exec(text.slice(i + 1));
          if (match !== null) {
            const final = match[2] ?? '';
            const n = match[1] === '' || match[1] === undefined ? (final === 'J' || final === 'K' ? 0 : 1) : Number(match[1]);
            apply(n, final);
            i += match[0].length;
            continue;
          }
        }
        if (char === '\r') col = 0;
        else if (char === '\n') {
          row++;
          line(row);
        } else put(char);
      }
    },
    rows() {
      const out = grid.map((cells) => cells.join('').trimEnd());
      while (out.length > 0 && out.at(-1) === '') out.pop();
      return out;
    },
    get cursor() {
      return { row, col };
    },
  };
}
