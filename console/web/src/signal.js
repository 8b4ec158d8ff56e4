import { useEffect, useState } from 'preact/hooks';

/** A value components can watch: the few pieces of app-wide state (language, session, live status). */
export function signal(initial) {
  const listeners = new Set();
  let value = initial;
  return {
    get value() {
      return value;
    },
    set value(v) {
      value = v;
      for (const l of listeners) l(v);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/**
 * The signal's value, re-rendering on change. Effects run after the browser paints, so a
 * change made between the render and the subscription (the session answered quickly)
 * would be missed: the subscription compares with what was rendered and catches up.
 */
export function useSignal(s) {
  const [, set] = useState(0);
  const rendered = s.value;
  useEffect(() => {
    const off = s.subscribe(() => set((n) => n + 1));
    if (s.value !== rendered) set((n) => n + 1);
    return off;
  }, [s]);
  return rendered;
}
