/**
 * The named lists of one engine: loaded from directories, reloaded when a file changes,
 * each swapped whole into its holder so rules see the old list or the new one, never a
 * half-loaded one. A list that vanishes or fails to read keeps its last good contents.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { listFileName, ListHolder, parseList, type ListType, type LoadedList } from './list.js';

export interface ListEvents {
  loaded?(list: LoadedList, previous: LoadedList | undefined): void;
  failed?(file: string, error: string): void;
}

export class ListRegistry {
  private readonly holders = new Map<string, ListHolder>();
  private readonly mtimes = new Map<string, number>();
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private readonly dirs: string[];

  constructor(dirs: string | readonly string[] | undefined, private readonly events: ListEvents = {}) {
    this.dirs = dirs === undefined ? [] : typeof dirs === 'string' ? [dirs] : [...dirs];
  }

  get(name: string): ListHolder | undefined {
    return this.holders.get(name);
  }

  names(): string[] {
    return [...this.holders.keys()].sort();
  }

  /** Adds or replaces a list from memory (tests, generated lists). */
  define(name: string, type: ListType, entries: readonly string[]): ListHolder {
    return this.install(parseList(name, type, '(memory)', entries.join('\n')));
  }

  /** Reads every list file whose modification time changed since the last load. */
  load(): { loaded: LoadedList[]; errors: Array<{ file: string; error: string }> } {
    const loaded: LoadedList[] = [];
    const errors: Array<{ file: string; error: string }> = [];
    for (const dir of this.dirs) {
      let files: string[];
      try {
        files = readdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const base of files.sort()) {
        const decl = listFileName(base);
        if (!decl) continue;
        const file = join(dir, base);
        try {
          const mtime = statSync(file).mtimeMs;
          if (this.mtimes.get(file) === mtime && this.holders.has(decl.name)) continue;
          const existing = this.holders.get(decl.name);
          if (existing && existing.current.file !== file && existing.current.file !== '(memory)') throw new Error(`list "${decl.name}" is already defined by ${existing.current.file}`);
          const list = parseList(decl.name, decl.type, file, readFileSync(file, 'utf8'));
          this.mtimes.set(file, mtime);
          loaded.push(list);
          this.install(list);
        } catch (err) {
          const error = (err as Error).message;
          errors.push({ file, error });
          this.events.failed?.(file, error);
        }
      }
    }
    return { loaded, errors };
  }

  /** Watches the directories; changed lists are reloaded (debounced) and swapped in. */
  watch(onChange?: () => void): void {
    if (this.watchers.length > 0) return;
    for (const dir of this.dirs) {
      try {
        const w = watch(dir, () => {
          clearTimeout(this.debounce);
          this.debounce = setTimeout(() => {
            this.load();
            onChange?.();
          }, 150);
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // No directory yet: lists are optional; a later reload() picks it up.
      }
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private install(list: LoadedList, replace = true): ListHolder {
    const h = this.holders.get(list.name);
    if (h) {
      // Rules were checked against the list's type: a file cannot change it under them.
      if (h.type !== list.type) throw new Error(`list "${list.name}" is ${h.type}; ${list.file} declares ${list.type}`);
      if (replace) {
        const previous = h.current;
        h.current = list;
        this.events.loaded?.(list, previous);
      }
      return h;
    }
    const holder = new ListHolder(list.name, list.type, list);
    this.holders.set(list.name, holder);
    if (replace) this.events.loaded?.(list, undefined);
    return holder;
  }
}
