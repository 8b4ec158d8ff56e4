// JA3 / JA3S / JA4 against published vectors and against strings computed
// here, independently, from the values each test hello is built from.
//
// Published vectors:
// - salesforce/ja3 README: "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
//   -> ada70206e40642a3e4461f35503241d5, and "769,4-5-10-9-100-98-3-6-19-18-99,,," -> de350869b8c85de67a350c8d186f11e6.
// - pyja3 README (salesforce/ja3 python/README.rst) example -> 2aef69b4ba1938c3a400de4188743185.
// - FoxIO-LLC/ja4 technical_details/JA4.md worked example -> t13d1516h2_8daaf6152771_e5627efa2ab1
//   (the same vector is the expect-test in the Rust implementation, rust/ja4/src/tls.rs).
// - A Chrome ClientHello as reported by browserleaks.com (ja3_text/ja3_hash/ja4/ja4_r together):
//   ja3 98487aa16281980e7d1120d399efb6a4, ja4 t13d1516h2_8daaf6152771_d8a2da3f94cd.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseClientHello, parseServerHello, type ClientHello } from '../../../sensor/app/tls/hello.js';
import { ja3, ja3s, ja3sString, ja3String } from '../../../sensor/app/tls/ja3.js';
import { ja4, ja4Raw } from '../../../sensor/app/tls/ja4.js';
import { alpnExt, be16, bytes, clientHelloBody, ext, serverHelloBody, sniExt, u16list, Weirds } from './helpers.js';

/** The 16 GREASE values of RFC 8701, listed rather than computed. */
const GREASE = new Set([0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa]);
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function hello(body: number[]): ClientHello {
  const w = new Weirds();
  const b = bytes(body);
  const ch = parseClientHello(b, 0, b.length, w)!;
  expect(w.names).toEqual([]);
  return ch;
}

const groupsExt = (g: number[]): number[] => ext(10, u16list(g));
const pointsExt = (p: number[]): number[] => ext(11, [p.length, ...p]);
const sigExt = (s: number[]): number[] => ext(13, u16list(s));
const versionsExt = (v: number[]): number[] => ext(43, u16list(v, 1));

describe('JA3', () => {
  it('matches the README vector of salesforce/ja3', () => {
    const ch = hello(
      clientHelloBody({
        version: 0x0301,
        ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
        extensions: [sniExt('example.org'), groupsExt([23, 24, 25]), pointsExt([0])],
      }),
    );
    expect(ja3String(ch)).toBe('769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0');
    expect(ja3(ch)).toBe('ada70206e40642a3e4461f35503241d5');
  });

  it('leaves the fields empty for a hello without extensions', () => {
    const ch = hello(clientHelloBody({ version: 0x0301, ciphers: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99] }));
    expect(ja3String(ch)).toBe('769,4-5-10-9-100-98-3-6-19-18-99,,,');
    expect(ja3(ch)).toBe('de350869b8c85de67a350c8d186f11e6');
  });

  it('matches the pyja3 README vector', () => {
    const ciphers = [255, 49162, 49172, 136, 135, 57, 56, 49167, 49157, 132, 53, 49159, 49161, 49169, 49171, 69, 68, 51, 50, 49164, 49166, 49154, 49156, 150, 65, 4, 5, 47, 49160, 49170, 22, 19, 49165, 49155, 65279, 10];
    const ch = hello(
      clientHelloBody({ version: 0x0301, ciphers, extensions: [sniExt('192.168.1.3'), groupsExt([23, 24, 25]), pointsExt([0]), ext(35, [])] }),
    );
    expect(ja3(ch)).toBe('2aef69b4ba1938c3a400de4188743185');
  });

  it('drops GREASE values and equals a string computed independently', () => {
    const ciphers = [0xdada, 0x1301, 0xc02b, 0x2a2a, 0x009c];
    const groups = [0x8a8a, 29, 23];
    const extensions: Array<[number, number[]]> = [
      [0x4a4a, []],
      [0, sniExt('a.test').slice(4)],
      [10, u16list(groups)],
      [11, [1, 0]],
      [0xfafa, [0]],
      [43, u16list([0x7a7a, 0x0304, 0x0303], 1)],
    ];
    const ch = hello(clientHelloBody({ ciphers, extensions: extensions.map(([t, d]) => ext(t, d)) }));
    const keep = (v: number[]): string => v.filter((x) => !GREASE.has(x)).join('-');
    const expected = `771,${keep(ciphers)},${keep(extensions.map(([t]) => t))},${keep(groups)},0`;
    expect(expected).toBe('771,4865-49195-156,0-10-11-43,29-23,0');
    expect(ja3String(ch)).toBe(expected);
    expect(ja3(ch)).toBe(md5(expected));
  });

  it('JA3S uses the ServerHello version, cipher and extensions in order', () => {
    const b = bytes(serverHelloBody({ cipher: 0xc030, extensions: [ext(0xff01, [0]), ext(0, []), ext(11, [1, 0]), ext(35, []), ext(16, [0, 3, 2, 0x68, 0x32])] }));
    const sh = parseServerHello(b, 0, b.length, new Weirds())!;
    expect(ja3sString(sh)).toBe('771,49200,65281-0-11-35-16');
    expect(ja3s(sh)).toBe(md5('771,49200,65281-0-11-35-16'));
    expect(sh.alpn).toBe('h2');
  });
});

describe('JA4', () => {
  const sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

  it('matches the worked example of the FoxIO specification', () => {
    const ch = hello(
      clientHelloBody({
        ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
        extensions: [
          ext(0x001b, [2, 0, 2]),
          sniExt('example.com'),
          ext(0x0033, [0, 0]),
          alpnExt(['h2', 'http/1.1']),
          ext(0x4469, []),
          ext(0x0017, []),
          ext(0x002d, [1, 1]),
          sigExt(sigs),
          ext(0x0005, [1, 0, 0, 0, 0]),
          ext(0x0023, []),
          ext(0x0012, []),
          versionsExt([0x0304, 0x0303]),
          ext(0xff01, [0]),
          pointsExt([0]),
          groupsExt([29, 23, 24]),
          ext(0x0015, [0, 0, 0]),
        ],
      }),
    );
    expect(ja4(ch)).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(ja4Raw(ch)).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('matches a published Chrome hello, GREASE and all, for JA3 and JA4 together', () => {
    const ch = hello(
      clientHelloBody({
        ciphers: [0x0a0a, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47, 53],
        extensions: [
          ext(0x1a1a, []),
          ext(45, [1, 1]),
          ext(51, [...be16(10), ...be16(0x2a2a), ...be16(1), 0, ...be16(29), ...be16(2), 1, 2]),
          alpnExt(['h2', 'http/1.1']),
          ext(65037, [0, 0, 1, 0, 1]),
          ext(23, []),
          ext(17613, [0, 3, 2, 0x68, 0x32]),
          sniExt('tls.browserleaks.com'),
          pointsExt([0]),
          groupsExt([0x2a2a, 4588, 29, 23, 24]),
          versionsExt([0x3a3a, 0x0304, 0x0303]),
          ext(65281, [0]),
          ext(35, []),
          ext(18, []),
          ext(5, [1, 0, 0, 0, 0]),
          sigExt(sigs),
          ext(27, [2, 0, 2]),
          ext(0x4a4a, [0]),
        ],
      }),
    );
    expect(ja3String(ch)).toBe(
      '771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0',
    );
    expect(ja3(ch)).toBe('98487aa16281980e7d1120d399efb6a4');
    expect(ja4(ch)).toBe('t13d1516h2_8daaf6152771_d8a2da3f94cd');
    expect(ja4Raw(ch)).toBe(
      't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
    );
  });

  it('writes i without SNI, the hello version without supported_versions, 00 without ALPN', () => {
    const ch = hello(clientHelloBody({ version: 0x0303, ciphers: [0x002f], extensions: [groupsExt([23])] }));
    expect(ja4Raw(ch)).toBe('t12i010100_002f_000a');
  });

  it('gives 000000000000 for empty lists and caps counts at 99', () => {
    const none = hello(clientHelloBody({ version: 0x0301, ciphers: [] }));
    expect(ja4(none)).toBe('t10i000000_000000000000_000000000000');
    const many = hello(clientHelloBody({ ciphers: Array.from({ length: 120 }, (_, i) => 0x1000 + i) }));
    expect(ja4(many).slice(0, 10)).toBe('t12i990000');
  });

  it('follows the ALPN rules: single characters twice, hex for non-alphanumeric edges', () => {
    const a = (p: string): string => ja4(hello(clientHelloBody({ ciphers: [0x1301], extensions: [alpnExt([p])] }))).slice(8, 10);
    expect(a('http/1.1')).toBe('h1');
    expect(a('x')).toBe('xx');
    expect(a('\xab')).toBe('ab');
    expect(a('\xab\xcd')).toBe('ad');
    expect(a('0\xab')).toBe('3b');
    expect(a('0\xab\xcd1')).toBe('01');
  });

  it('ignores GREASE in supported_versions and signature algorithms', () => {
    const ch = hello(clientHelloBody({ ciphers: [0x1301], extensions: [versionsExt([0xeaea, 0x0303, 0x0304]), sigExt([0x1a1a, 0x0403])] }));
    expect(ja4Raw(ch)).toBe('t13i010200_1301_000d,002b_0403');
  });
});
