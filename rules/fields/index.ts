/**
 * The field namespace: importing this module registers every field. The README's
 * field table is checked against it by a test (test/rules/fields.test.ts).
 */
import './observer.js';
import './connection.js';
import './dns.js';
import './tls.js';
import './http.js';
import './ssh.js';
import './enforcer.js';
import './health.js';

export { FIELDS } from './table.js';
export type { FieldDef, FieldType, Getter } from './types.js';
export { View } from './view.js';
