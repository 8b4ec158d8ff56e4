import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_QINQ, ETHERTYPE_VLAN, ethernetHeader } from './ethernet.js';
import { mplsStack } from './mpls.js';
import { vlanTag } from './vlan.js';

/**
 * How one direction of a flow is framed on the captured link: plain Ethernet, one 802.1Q
 * tag, QinQ (802.1ad outer tag, 802.1Q inner tag), or an MPLS label stack.
 */
export type Encapsulation =
  | { kind: 'ethernet' }
  | { kind: 'vlan'; vlan: number }
  | { kind: 'qinq'; outer: number; inner: number }
  | { kind: 'mpls'; labels: readonly number[] };

export interface LinkSpec {
  src: Uint8Array;
  dst: Uint8Array;
  encapsulation: Encapsulation;
}

/** Everything of a frame before the IP header, for an IP packet of the given version. */
export function linkHeader(spec: LinkSpec, ipVersion: 4 | 6): Buffer {
  const ipType = ipVersion === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  const enc = spec.encapsulation;
  switch (enc.kind) {
    case 'ethernet':
      return ethernetHeader(spec.dst, spec.src, ipType);
    case 'vlan':
      return Buffer.concat([ethernetHeader(spec.dst, spec.src, ETHERTYPE_VLAN), vlanTag(enc.vlan, ipType)]);
    case 'qinq':
      return Buffer.concat([ethernetHeader(spec.dst, spec.src, ETHERTYPE_QINQ), vlanTag(enc.outer, ETHERTYPE_VLAN), vlanTag(enc.inner, ipType)]);
    case 'mpls':
      return Buffer.concat([ethernetHeader(spec.dst, spec.src, ETHERTYPE_MPLS), mplsStack(enc.labels, 64)]);
  }
}
