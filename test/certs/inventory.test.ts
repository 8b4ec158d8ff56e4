import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/paths.js';
import { parseInventory, readInventory } from '../../certs/inventory.js';
import { tempDir } from './fixtures.js';

const NATIONAL = join(packageRoot, '..', 'shared', 'data', 'vn-admin-units-2025-03.json');

describe('the fleet inventory reader', () => {
  it('turns the national inventory into one node per province, district and commune', () => {
    const nodes = readInventory(NATIONAL);
    const byLevel = [1, 2, 3].map((l) => nodes.filter((n) => n.level === l).length);
    expect(byLevel).toEqual([63, 696, 10_047]);
    expect(nodes.slice(0, 3)).toEqual([
      { nodeId: '01', level: 1, name: 'Thành phố Hà Nội' },
      { nodeId: '01/001', level: 2, name: 'Quận Ba Đình' },
      { nodeId: '01/001/00001', level: 3, name: 'Phường Phúc Xá' },
    ]);
  });

  it('reads whatever depth the file has (the 2025 reform removed a level)', () => {
    const twoLevels = { data: [{ level1_id: '01', name: 'Hà Nội', level2s: [{ level2_id: '00004', name: 'Ba Đình' }] }] };
    expect(parseInventory(twoLevels).map((n) => n.nodeId)).toEqual(['01', '01/00004']);
  });

  it('names the file and place of a bad entry', () => {
    const t = tempDir('inventory');
    const file = join(t.dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ data: [{ level1_id: '01', level2s: [{ level2_id: 'a b' }] }] }));
    expect(() => readInventory(file)).toThrow(`${file}: data[0].level2s[0].level2_id: not a node id`);
    writeFileSync(file, JSON.stringify({ data: [{ level1_id: '01' }, { level1_id: '01' }] }));
    expect(() => readInventory(file)).toThrow('node 01 appears twice');
    expect(() => readInventory(join(t.dir, 'absent.json'))).toThrow('file not found');
    t.cleanup();
  });
});
