/**
 * Problems found in a rule file, each with its position: `file:line:col: message`,
 * the form editors and CI annotate. A message says what was expected.
 */
export interface Pos {
  line: number;
  col: number;
}

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
  /** The rule it concerns, when known. */
  ruleId?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

/** Collects diagnostics for one file. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  constructor(readonly file: string) {}

  error(pos: Pos, message: string, ruleId?: string): void {
    this.list.push({ file: this.file, line: pos.line, col: pos.col, severity: 'error', message, ruleId });
  }

  warn(pos: Pos, message: string, ruleId?: string): void {
    this.list.push({ file: this.file, line: pos.line, col: pos.col, severity: 'warning', message, ruleId });
  }

  get errors(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }
}
