/** 802.1Q / 802.1ad tags: a 4-byte tag is the TPID followed by PCP(3) DEI(1) VID(12). */

export const VLAN_TAG_LEN = 4;

/** The 2-byte tag control information after the TPID, followed by the EtherType it encloses. */
export function vlanTag(vid: number, innerEtherType: number, priority = 0): Buffer {
  if (!Number.isInteger(vid) || vid < 1 || vid > 4094) throw new Error(`VLAN id ${vid} is outside 1..4094`);
  const b = Buffer.alloc(VLAN_TAG_LEN);
  b.writeUInt16BE(((priority & 7) << 13) | vid, 0);
  b.writeUInt16BE(innerEtherType, 2);
  return b;
}
