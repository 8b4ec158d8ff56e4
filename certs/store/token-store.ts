import { Journal } from './journal.js';
import { parseTokenRecord, type MintedTokenRecord, type TokenRecord, type UsedTokenRecord } from './records.js';

export interface TokenEntry {
  minted: MintedTokenRecord;
  used?: UsedTokenRecord;
}

/** Enrollment tokens, hashed, from the token journal. */
export class TokenStore {
  private readonly byId = new Map<string, TokenEntry>();
  private readonly journal: Journal<TokenRecord>;

  constructor(readonly path: string) {
    this.journal = new Journal(
      path,
      parseTokenRecord(path),
      (r) => this.apply(r),
      () => this.byId.clear(),
    );
    this.journal.load();
  }

  private apply(r: TokenRecord): void {
    if (r.kind === 'minted') {
      if (this.byId.has(r.id)) throw new Error(`${this.path}: token ${r.id} minted twice`);
      this.byId.set(r.id, { minted: r });
    } else {
      const entry = this.byId.get(r.id);
      if (!entry) throw new Error(`${this.path}: use of unknown token ${r.id}`);
      entry.used ??= r;
    }
  }

  refresh(): void {
    this.journal.refresh();
  }

  append(records: readonly TokenRecord[]): void {
    this.journal.append(records);
  }

  get(id: string): TokenEntry | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<TokenEntry> {
    return this.byId.values();
  }
}
