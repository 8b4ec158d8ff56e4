import type { IndexKind } from '../../common/index-names.js';

/** The kinds the collector installs index templates for and applies retention to. */
export type TemplateKind = Exclude<IndexKind, 'enforcer'>;

export const INDEX_KINDS: readonly TemplateKind[] = ['conn', 'alerts', 'health', 'deadletter'];
