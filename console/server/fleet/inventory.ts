import { readInventory, type InventoryNode } from '../../../certs/inventory.js';

export interface PlaceNode {
  id: string;
  name: string;
  level: number;
}

/**
 * The hierarchy of places (province → district → commune, or the two levels after the
 * 2025 reform) with their names as the inventory spells them, diacritics included.
 * Without an inventory file, nodes are known by id only.
 */
export class Places {
  private readonly byId = new Map<string, PlaceNode>();
  private readonly children = new Map<string, PlaceNode[]>();

  constructor(nodes: readonly InventoryNode[]) {
    for (const n of nodes) this.add({ id: n.nodeId, name: n.name, level: n.level });
  }

  static fromFile(file: string | undefined): Places {
    return new Places(file ? readInventory(file) : []);
  }

  private add(p: PlaceNode): void {
    if (this.byId.has(p.id)) return;
    this.byId.set(p.id, p);
    const parent = parentOf(p.id);
    const list = this.children.get(parent) ?? [];
    list.push(p);
    this.children.set(parent, list);
  }

  /** Adds nodes only known from elsewhere (sensors, alerts) so they can be drilled into too. */
  learn(nodeId: string): void {
    const parts = nodeId.split('/');
    parts.forEach((_, i) => {
      const id = parts.slice(0, i + 1).join('/');
      this.add({ id, name: '', level: i + 1 });
    });
  }

  get(id: string): PlaceNode | undefined {
    return this.byId.get(id);
  }

  /** Children of a node ('' for the top level), in inventory order. */
  childrenOf(id: string): PlaceNode[] {
    return this.children.get(id) ?? [];
  }

  /** The node and its ancestors, top first, with names. */
  pathOf(id: string): PlaceNode[] {
    const parts = id.split('/');
    return parts.map((_, i) => {
      const pid = parts.slice(0, i + 1).join('/');
      return this.byId.get(pid) ?? { id: pid, name: '', level: i + 1 };
    });
  }
}

export function parentOf(id: string): string {
  const i = id.lastIndexOf('/');
  return i < 0 ? '' : id.slice(0, i);
}
