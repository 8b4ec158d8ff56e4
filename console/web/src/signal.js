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

export function useSignal(s) {
  const [, set] = useState(0);
  useEffect(() => s.subscribe(() => set((n) => n + 1)), [s]);
  return s.value;
}
