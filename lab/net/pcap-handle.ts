import { createRequire } from 'node:module';
import { RuntimeError } from '../../common/errors.js';
import { retainClosedCap } from '../../common/cap-handles.js';

/**
 * The part of the `cap` addon the lab uses, typed here because the package ships no types.
 * Loaded lazily so that `lab up/down/status` work even where the addon failed to build.
 */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  send(buffer: Buffer, nBytes?: number): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
  removeAllListeners(event?: string): this;
}

interface CapModule {
  Cap: new () => CapHandle;
}

let loaded: CapModule | undefined;

function capModule(): CapModule {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)('cap') as CapModule;
    } catch (err) {
      throw new RuntimeError(`cannot load the cap addon (libpcap): ${(err as Error).message}; run \`npm rebuild cap\` with libpcap-dev installed`);
    }
  }
  return loaded;
}

/** The largest frame a handle reads; libpcap truncates anything longer (snap length 65535). */
export const MAX_FRAME = 65_535;

export interface OpenHandle {
  cap: CapHandle;
  /** Reused for every packet: copy what you keep. */
  buffer: Buffer;
  linkType: string;
}

// cap writes each packet into a Buffer it holds only as a raw pointer: the Buffer must stay
// reachable for as long as the handle is open, whatever the caller keeps.
const packetBuffers = new Map<CapHandle, Buffer>();

/**
 * Opens a live handle on an interface; the error names the interface and libpcap's reason.
 * `snapBytes` sizes the packet buffer: a send-only handle that captures nothing needs little.
 */
export function openHandle(iface: string, filter: string, bufferBytes: number, snapBytes = MAX_FRAME): OpenHandle {
  const { Cap } = capModule();
  const cap = new Cap();
  const buffer = Buffer.alloc(snapBytes);
  let linkType: string;
  try {
    linkType = cap.open(iface, filter, bufferBytes, buffer);
  } catch (err) {
    throw new RuntimeError(`cannot open ${iface} for capture${filter ? ` with filter "${filter}"` : ''}: ${(err as Error).message}`);
  }
  packetBuffers.set(cap, buffer);
  return { cap, buffer, linkType };
}

/** Closes a handle opened by openHandle. Never delete its interface while it is open: cap aborts the process. */
export function closeHandle(cap: CapHandle): void {
  cap.removeAllListeners('packet');
  cap.close();
  // A collected closed Cap crashes the process later (see common/cap-handles.ts).
  retainClosedCap(cap, packetBuffers.get(cap));
  packetBuffers.delete(cap);
}
