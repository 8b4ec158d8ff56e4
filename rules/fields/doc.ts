/** The field namespace as a Markdown table (rules/README.md embeds it; `chot rules fields --markdown` prints it). */
import { FIELDS } from './table.js';

export function fieldTable(): string {
  const rows = ['| field | type | kinds | from | meaning |', '| --- | --- | --- | --- | --- |'];
  for (const f of FIELDS.all()) {
    const sources = [...new Set([...f.kinds.values()].map((k) => k.source))].join('; ');
    rows.push(`| \`${f.name}\` | ${f.type}${f.array ? '[]' : ''}${f.unit ? ` (${f.unit})` : ''} | ${[...f.kinds.keys()].join(', ')} | ${sources} | ${f.doc.replace(/\|/g, '\\|')} |`);
  }
  return `${rows.join('\n')}\n`;
}
