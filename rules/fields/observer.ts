/** Fields every kind has: where the record was seen. */
import { observerOf } from '../../common/observer.js';
import { RECORD_KINDS } from '../records.js';
import { FIELDS, str } from './table.js';

const K = RECORD_KINDS;

FIELDS.add('observer.id', 'string', { card: 'high', doc: 'node id of the sensor that saw it ("01/001/00001")' }, K, 'batch node (the sensor certificate)', (v) => v.node, (t, x) => {
  t.node = str(x);
  t.health.node = str(x);
});
FIELDS.add('observer.hierarchy', 'string', { array: true, card: 'medium', doc: 'the node and every ancestor ("01", "01/001", ...): scope a rule to a province' }, K, 'derived from the node id', (v) => observerOf(v.node).hierarchy);
FIELDS.add('observer.province', 'string', { card: 'medium', doc: 'first level of the node id' }, K, 'derived from the node id', (v) => observerOf(v.node).province);
FIELDS.add('chot.sensor.id', 'string', { card: 'high', doc: 'sensor id (from its certificate)' }, K, 'batch sensor id', (v) => v.sensorId, (t, x) => {
  t.sensorId = str(x);
  t.health.sensorId = str(x);
});
