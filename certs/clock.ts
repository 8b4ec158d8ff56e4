/**
 * How far back notBefore (certificates) and thisUpdate (CRLs) are set: a peer whose
 * clock runs a little behind the CA's must not see a fresh certificate or CRL as
 * "not yet valid".
 */
export const CLOCK_SKEW_MS = 60_000;
