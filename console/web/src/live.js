import { signal } from './signal.js';

/** Covers the alert indices' refresh interval (1 s) with room for a busy cluster. */
const RECENT_MS = 5000;
/** A burst can bring thousands of events in those seconds; the queue shows at most 2,000 anyway. */
const MAX_KEPT = 2000;

/** 'connecting' | 'live' | 'catching-up' | 'reconnecting' | 'closed' */
export const liveStatus = signal('closed');

/**
 * The live feed: one WebSocket per page, authenticated by the session cookie. It keeps
 * the cursor of the last message, and after any drop (network, server restart) it
 * reconnects and resumes from that cursor, so every alert raised meanwhile arrives, once.
 * Listeners get each alert event (and whether it is one of the recent ones replayed at
 * the first subscription); 'resync' tells them to reload from the REST API.
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
    /** Whether the alerts now arriving are the recent ones sent before going live (already counted by a REST load). */
    this.recent = false;
    /** Events of the last RECENT_MS, oldest first, for pages that start listening now. */
    this.kept = [];
  }

  start(filters = {}) {
    this.filters = filters;
    this.stopped = false;
    this.connect();
  }

  /**
   * Listens to alert events. The events of the last seconds are given first (marked
   * recent): a page opened now loads from Elasticsearch, which does not show them yet.
   */
  onAlert(fn) {
    this.listeners.add(fn);
    this.pruneKept();
    for (const { event } of this.kept) fn(event, { recent: true });
    return () => this.listeners.delete(fn);
  }

  pruneKept() {
    const horizon = Date.now() - RECENT_MS;
    let i = 0;
    while (i < this.kept.length && this.kept[i].at < horizon) i++;
    if (i) this.kept.splice(0, i);
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
      // The first time, the last seconds too: what the page's REST load may not see yet.
      this.recent = !this.cursor;
      ws.send(JSON.stringify({ type: 'subscribe', filters: this.filters, ...(this.cursor ? { cursor: this.cursor } : { recentMs: RECENT_MS }) }));
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
        this.kept.push({ at: Date.now(), event: m.event });
        if (this.kept.length > MAX_KEPT) this.kept.splice(0, this.kept.length - MAX_KEPT);
        for (const l of this.listeners) l(m.event, { recent: this.recent });
        break;
      case 'subscribed':
        this.recent = false;
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
    // The next user may see less (another scope): nothing of this one's is kept for them.
    this.kept = [];
    liveStatus.value = 'closed';
  }
}

export const feed = new LiveFeed();
