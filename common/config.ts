import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Loads a YAML or JSON config file and validates it against a schema.
 * Every problem is reported as "FILE: key.path: what was expected", the first one
 * thrown as a ConfigError (exit code 2) and all of them listed in its message.
 */
export function loadConfigFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new ConfigError(file, '', why);
  }
  return parseConfigText(file, text, schema);
}

export function parseConfigText<S extends z.ZodType>(file: string, text: string, schema: S): z.infer<S> {
  let raw: unknown;
  if (extname(file) === '.json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(file, '', `not valid JSON: ${(err as Error).message}`);
    }
  } else {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
      throw new ConfigError(file, where, `not valid YAML: ${e.code}`);
    }
    raw = doc.toJS() ?? {};
  }
  return validateConfig(file, raw, schema);
}

export function validateConfig<S extends z.ZodType>(file: string, raw: unknown, schema: S): z.infer<S> {
  // reportInput puts the offending value in each issue, so the message can show what was given.
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => describeIssue(i));
  const first = issues[0]!;
  const err = new ConfigError(file, first.path, first.problem);
  if (issues.length > 1) {
    err.message += issues
      .slice(1)
      .map((i) => `\n${file}: ${i.path || '(top level)'}: ${i.problem}`)
      .join('');
  }
  throw err;
}

function describeIssue(issue: z.core.$ZodIssue): { path: string; problem: string } {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys;
      const at = path ? `${path}.` : '';
      return {
        path: `${at}${keys[0]}`,
        problem: `unknown key${keys.length > 1 ? `s ${keys.map((k) => `"${k}"`).join(', ')}` : ''} (not allowed here)`,
      };
    }
    case 'invalid_type':
      return { path, problem: `expected ${issue.expected}${receivedOf(issue)}` };
    default:
      return { path, problem: issue.message };
  }
}

function receivedOf(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) return ', but it is missing';
  const got = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
  return `, got ${got} ${JSON.stringify(input)?.slice(0, 40) ?? ''}`.trimEnd();
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
