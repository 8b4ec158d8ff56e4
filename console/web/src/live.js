import { signal } from './signal.js';

/** 'connecting' | 'live' | 'catching-up' | 'reconnecting' | 'closed' */
export const liveStatus = signal('closed');

/**
 * The live feed: one WebSocket per page, authenticated by the session cookie. It keeps
 * the cursor of the last message, and after any drop (network, server restart) it
 * reconnects and resumes from that cursor, so every alert raised meanwhile arrives, once.
 * Listeners get each alert event; 'resync' tells them to reload from the REST API.
 */
export class LiveFeed {
  constructor() {
    this.cursor = undefined;
    this.filters = {};
    this.listeners = new Set();
    this.resyncListeners = new Set();
    this.ws = undefined;
    this.retry = 0;
    this.stopped = false;
    this.timer = undefined;
  }

  start(filters = {}) {
    this.filters = filters;
    this.stopped = false;
    this.connect();
  }

  onAlert(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onResync(fn) {
    this.resyncListeners.add(fn);
    return () => this.resyncListeners.delete(fn);
  }

  connect() {
    if (this.stopped) return;
    liveStatus.value = this.cursor ? 'reconnecting' : 'connecting';
    const url = new URL('/api/live', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      ws.send(JSON.stringify({ type: 'subscribe', filters: this.filters, ...(this.cursor ? { cursor: this.cursor } : {}) }));
    };
    ws.onmessage = (e) => this.handle(JSON.parse(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) return;
      liveStatus.value = 'reconnecting';
      // 4401: the session ended; the page will show the login on its next call.
      if (e.code === 4401) return;
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  handle(m) {
    if (m.type === 'batch') {
      for (const x of m.messages) this.handle(x);
      return;
    }
    if (m.cursor) this.cursor = m.cursor;
    switch (m.type) {
      case 'alert':
        for (const l of this.listeners) l(m.event);
        break;
      case 'subscribed':
        liveStatus.value = 'live';
        break;
      case 'catch-up':
        liveStatus.value = 'catching-up';
        break;
      case 'resync':
        for (const l of this.resyncListeners) l(m.reason);
        break;
      default:
        break;
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
    this.ws = undefined;
    liveStatus.value = 'closed';
  }
}

export const feed = new LiveFeed();
