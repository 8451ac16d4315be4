/**
 * Field splitting for delimited text (CSV, TSV) with RFC 4180 quoting:
 * a field in double quotes may hold the separator, and `""` inside it is one
 * quote. Fields are trimmed of surrounding spaces. Quoted fields spanning
 * several lines are not supported (no expression matrix writer emits them).
 */
export function splitFields(line: string, sep: string): string[] {
  if (line.indexOf('"') < 0) {
    const fields = line.split(sep);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.charCodeAt(0) === 32 || f.charCodeAt(f.length - 1) === 32) fields[i] = f.trim();
    }
    return fields;
  }
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    while (line[i] === ' ') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          value += line.slice(i);
          i = line.length;
          break;
        }
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const end = line.indexOf(sep, i);
      fields.push(value + (end < 0 ? line.slice(i) : line.slice(i, end)).trim());
      if (end < 0) break;
      i = end + sep.length;
    } else {
      const end = line.indexOf(sep, i);
      fields.push((end < 0 ? line.slice(i) : line.slice(i, end)).trim());
      if (end < 0) break;
      i = end + sep.length;
    }
  }
  return fields;
}

/**
 * The separator of a delimited file: by extension (.csv is a comma, .tsv and
 * .tab a tab, with or without .gz), otherwise whichever of tab, comma and
 * semicolon occurs most often in the header line. Undefined when none does.
 */
export function separatorFor(path: string, headerLine: string): string | undefined {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return ',';
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return '\t';
  let best: string | undefined;
  let bestCount = 0;
  for (const sep of ['\t', ',', ';']) {
    const count = headerLine.split(sep).length - 1;
    if (count > bestCount) {
      best = sep;
      bestCount = count;
    }
  }
  return best;
}
