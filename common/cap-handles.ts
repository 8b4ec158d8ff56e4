/**
 * cap 0.2.1's close() stops its libuv poll handle but never uv_close()s it, and the handle
 * lives inside the native object: a closed Cap that is garbage-collected leaves libuv's
 * handle list pointing into freed memory, and the process dies at some later turn of the
 * loop (segfault or "double free"; 8 runs in 10 of a stress test). Every closed handle,
 * with the packet buffer it points into, is therefore kept for the life of the process:
 * a few hundred bytes plus the buffer each. Whoever closes a Cap hands it here.
 */
const closed: unknown[] = [];

export function retainClosedCap(cap: unknown, buffer: Uint8Array | undefined): void {
  closed.push(cap, buffer);
}
