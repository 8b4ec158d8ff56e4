import type { TcpScript } from '../flows/tcp-script.js';
import type { Prng } from '../prng.js';

/** How a TCP conversation ends, and so which conn_state Zeek gives it. */
export type TcpEnding = 'fin-client' | 'fin-server' | 'rst-client' | 'rst-server' | 'open';

/** Mostly orderly closes; some aborts (RSTO, RSTR); a few still open when the capture ends (S1). */
export function pickEnding(rng: Prng): TcpEnding {
  return rng.weighted({ 'fin-client': 52, 'fin-server': 33, 'rst-client': 6, 'rst-server': 6, open: 3 });
}

export function endConversation(script: TcpScript, ending: TcpEnding): void {
  script.wait(script.timing.rttNs / 2);
  switch (ending) {
    case 'fin-client':
      script.closeFin(0);
      break;
    case 'fin-server':
      script.closeFin(1);
      break;
    case 'rst-client':
      script.abort(0);
      break;
    case 'rst-server':
      script.abort(1);
      break;
    case 'open':
      break;
  }
}
