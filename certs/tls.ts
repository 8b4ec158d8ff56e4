/**
 * The TLS helpers every Chốt module uses for mutual TLS with the sector's CA.
 *
 *   const tls = await TlsContextManager.fromFiles({ keyFile, certFile, caFile, crlFiles });
 *   const server = tls.createHttpsServer({ roles: ['sensor'] }, (req, res) => {
 *     const who = peerIdentity(req.socket as TLSSocket)!; // { role, nodeId, serial, notAfter }
 *   });
 *   https.request(url, { ...tls.clientOptions({ roles: ['collector'] }) });
 */
export { TlsContextManager, peerIdentity, type PeerPolicy, type TlsContextManagerOptions } from './tls/context-manager.js';
export { clientTlsOptions } from './tls/client.js';
export { readTlsMaterial, type TlsFiles, type TlsMaterial, type CrlSummary } from './tls/material.js';
export { nodeCredentialFiles } from './enroll/credentials.js';
