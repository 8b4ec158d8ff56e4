/**
 * Node ids are paths in the inventory ("01/001/00001"). Documents carry a node's
 * hierarchy (the node and its ancestors), so "within a subtree" is one term query.
 */
export function hierarchyOf(nodeId: string): string[] {
  const parts = nodeId.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Whether node lies in the subtree rooted at root (root itself included). */
export function isWithin(node: string, root: string): boolean {
  return node === root || node.startsWith(`${root}/`);
}
