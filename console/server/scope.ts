import { isWithin } from './hierarchy.js';
import { forbidden } from './http/errors.js';

export { hierarchyOf, isWithin } from './hierarchy.js';

/** Who a scope decision is about: a user with, or without (national), a scope. */
type Scoped = { scope?: string | undefined };

/**
 * A user's scope is a node id ("01", "01/001"): they see that node and everything under
 * it, and nothing beside it. The subtree a request works on: what it asked for, narrowed to the user's scope.
 * Asking for a subtree outside the scope is refused; asking for an ancestor of the scope
 * (or nothing) gives the scope itself.
 */
export function effectiveSubtree(user: Scoped, requested?: string): string | undefined {
  if (!user.scope) return requested;
  if (!requested || isWithin(user.scope, requested)) return user.scope;
  if (isWithin(requested, user.scope)) return requested;
  throw forbidden(`${requested} is outside your scope (${user.scope})`);
}

/** The Elasticsearch filter for a subtree (none for the whole country). */
export function subtreeFilter(subtree: string | undefined, field = 'observer.hierarchy'): Record<string, unknown>[] {
  return subtree ? [{ term: { [field]: subtree } }] : [];
}
