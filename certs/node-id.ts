/**
 * A node's identity is its place in the inventory: the ids of its levels, top down
 * ("01/001/00001" for a commune, "01" for a province). How many levels there are is
 * the inventory's business, not this module's. In certificates it is a URI SAN,
 * chot://node/01/001/00001.
 */
export const NODE_URI_PREFIX = 'chot://node/';

/** One level's id: letters, digits, '-' and '_' (inventory codes), 1 to 32 characters. */
const SEGMENT = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_LEVELS = 16;

export class NodeIdError extends Error {
  override name = 'NodeIdError';
}

/** Checks and returns a node id given as a path ("01/001") or as its URI. */
export function parseNodeId(input: string): string {
  const path = input.startsWith(NODE_URI_PREFIX) ? input.slice(NODE_URI_PREFIX.length) : input;
  const segments = path.split('/');
  if (segments.length > MAX_LEVELS || !segments.every((s) => SEGMENT.test(s))) {
    throw new NodeIdError(`not a node id: ${JSON.stringify(input.slice(0, 100))} (expected level ids like 01/001/00001, or chot://node/01/001/00001)`);
  }
  return path;
}

export function isNodeId(input: string): boolean {
  try {
    return parseNodeId(input) === input;
  } catch {
    return false;
  }
}

export function nodeUri(nodeId: string): string {
  return NODE_URI_PREFIX + parseNodeId(nodeId);
}

/** The node id in a URI SAN, or undefined if the URI is not a Chốt node URI. */
export function nodeIdFromUri(uri: string): string | undefined {
  if (!uri.startsWith(NODE_URI_PREFIX)) return undefined;
  try {
    return parseNodeId(uri.slice(NODE_URI_PREFIX.length));
  } catch {
    return undefined;
  }
}
