export interface CsvRow {
  /** The line the row starts on (1-based): a quoted field may span lines. */
  line: number;
  fields: string[];
}

/**
 * Parses CSV as RFC 4180 writes it: comma-separated fields, a field in double quotes may hold
 * commas, line breaks and doubled quotes (`""`), rows end with LF or CRLF. Blank lines are skipped.
 * `fail(line, problem)` reports what cannot be read (it must throw).
 */
export function parseCsv(text: string, fail: (line: number, problem: string) => never): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  /** The current field was quoted: `""` is then an empty field, and no second quoted part may follow. */
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
    quoted = false;
  };
  const endRow = () => {
    const blankWasQuoted = quoted;
    endField();
    if (fields.length > 1 || fields[0] !== '' || blankWasQuoted) rows.push({ line: rowLine, fields });
    fields = [];
  };

  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"' && field === '' && !quoted) {
      quoted = true;
      // A quoted field: read to its closing quote.
      const opened = line;
      i++;
      for (;;) {
        if (i >= text.length) fail(opened, 'a quoted field is never closed (a " is missing).');
        const q = text[i] as string;
        if (q === '"') {
          if (text[i + 1] !== '"') break;
          field += '"';
          i += 2;
          continue;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      i++; // the closing quote
      while (text[i] === ' ' || text[i] === '\t') i++;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        fail(line, `unexpected ${JSON.stringify(next)} after a closing quote (write a quote inside a quoted field as "").`);
      }
      continue;
    }
    if (c === ',') {
      endField();
      i++;
    } else if (c === '\n' || c === '\r') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      rowLine = line;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || quoted || fields.length > 0) endRow();
  return rows;
}
