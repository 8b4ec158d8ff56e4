import { oid, printable, sequence, set, utf8, type Asn1 } from './der.js';
import { OID } from './oid.js';

/**
 * Distinguished names. In Chốt a name is for people reading a certificate; identity
 * is the URI SAN and the role. Text is UTF8String (Vietnamese names keep their
 * diacritics); countryName must be PrintableString.
 */
export interface NamePart {
  type: 'C' | 'O' | 'OU' | 'CN';
  value: string;
}

const TYPE_OID: Record<NamePart['type'], string> = {
  C: OID.countryName,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  CN: OID.commonName,
};

export function distinguishedName(parts: NamePart[]): Asn1 {
  return sequence(
    ...parts.map((p) => {
      if (p.value.length === 0 || p.value.length > 64) throw new Error(`${p.type} must be 1 to 64 characters`);
      if (p.type === 'C' && !/^[A-Z]{2}$/.test(p.value)) throw new Error('C must be a two-letter country code');
      return set(sequence(oid(TYPE_OID[p.type]), p.type === 'C' ? printable(p.value) : utf8(p.value)));
    }),
  );
}
