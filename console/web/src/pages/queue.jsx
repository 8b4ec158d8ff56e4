import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, hasRole, qs, session } from '../api.js';
import { ErrorBox, Severity, Status } from '../components/common.jsx';
import { Histogram } from '../components/histogram.jsx';
import { TriageForm } from '../components/triage-form.jsx';
import { fmtTime, SEVERITY_ORDER } from '../format.js';
import { lang, t } from '../i18n.js';
import { feed } from '../live.js';
import { go, href } from '../router.js';
import { useSignal } from '../signal.js';

const STATUSES = ['new', 'acknowledged', 'escalated', 'closed'];
const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const GROUPS = ['none', 'rule', 'source', 'node'];
const groupKey = {
  rule: (d) => d.rule.id,
  source: (d) => d.source?.ip ?? '—',
  node: (d) => d.observer.id,
};

/**
 * The live alert queue: alerts loaded once from the REST API, then kept current by the
 * live feed (new alerts and every change, from any analyst). Grouping, filters, keyboard
 * shortcuts and bulk actions work on what is shown; "apply to the whole group" goes to
 * the server with the group's filter, so it reaches alerts not loaded here too.
 */
/** Rows the live queue keeps: an analyst works the newest; older ones are a search away. */
const MAX_LIVE_ROWS = 2000;

function trimToNewest(alerts, max) {
  if (alerts.size <= max) return alerts;
  const newest = [...alerts.values()].sort((a, b) => (a.doc['@timestamp'] < b.doc['@timestamp'] ? 1 : -1)).slice(0, max);
  return new Map(newest.map((a) => [a.id, a]));
}

export function Queue() {
  useSignal(lang);
  const me = useSignal(session);
  const [alerts, setAlerts] = useState(() => new Map());
  const [places, setPlaces] = useState({});
  const [total, setTotal] = useState(0);
  const [statuses, setStatuses] = useState(['new', 'acknowledged', 'escalated']);
  const [severities, setSeverities] = useState([]);
  const [groupBy, setGroupBy] = useState('none');
  const [selected, setSelected] = useState(() => new Set());
  const [cursor, setCursor] = useState(0);
  const [error, setError] = useState(undefined);
  const [notice, setNotice] = useState('');
  const [action, setAction] = useState(undefined);
  const canTriage = hasRole('analyst');
  const filtersRef = useRef({ statuses, severities });
  filtersRef.current = { statuses, severities };

  const [rate, setRate] = useState(undefined);
  const loadRate = () => api('GET', `/api/alerts/rate${qs({ severity: severities, minutes: 120 })}`).then((r) => setRate(r.buckets), () => {});

  // Live events applied while a load is on its way, by alert id (null: to remove). The
  // answer reflects Elasticsearch up to a refresh ago, so these are newer and win over it.
  const liveDuringLoad = useRef(undefined);
  const load = async () => {
    void loadRate();
    const seen = new Map();
    liveDuringLoad.current = seen;
    try {
      const r = await api('GET', `/api/alerts${qs({ status: statuses, severity: severities, size: 500 })}`);
      const next = new Map(r.alerts.map((a) => [a.id, a]));
      for (const [id, a] of seen) {
        if (a) next.set(id, a);
        else next.delete(id);
      }
      setAlerts(trimToNewest(next, MAX_LIVE_ROWS));
      setPlaces(r.places);
      setTotal(r.total);
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      if (liveDuringLoad.current === seen) liveDuringLoad.current = undefined;
    }
  };

  useEffect(() => {
    void load();
  }, [statuses.join(), severities.join()]);

  useEffect(() => {
    // The rate moves by the minute: fetched again each minute, not on every alert.
    const timer = setInterval(loadRate, 60_000);
    return () => clearInterval(timer);
  }, [severities.join()]);

  useEffect(() => {
    // Events are applied in one render per frame: a burst of alerts (a scan hitting many
    // rules at once) costs one sort and one redraw, not one per event.
    let pending = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const batch = pending;
      pending = [];
      const { statuses: st, severities: sv } = filtersRef.current;
      let created = 0;
      const changes = batch.map(({ e, recent }) => {
        const fits = st.includes(e.status) && (sv.length === 0 || sv.includes(e.severity));
        if (e.type === 'created' && fits && !recent) created++;
        return { e, fits };
      });
      for (const { e, fits } of changes) liveDuringLoad.current?.set(e.alertId, fits ? { id: e.alertId, index: e.index, doc: e.doc } : null);
      setAlerts((prev) => {
        const next = new Map(prev);
        for (const { e, fits } of changes) {
          if (fits) next.set(e.alertId, { id: e.alertId, index: e.index, doc: e.doc });
          else next.delete(e.alertId);
        }
        return trimToNewest(next, MAX_LIVE_ROWS);
      });
      if (created) setTotal((n) => n + created);
    };
    const offAlert = feed.onAlert((e, { recent }) => {
      pending.push({ e, recent });
      if (scheduled) return;
      scheduled = true;
      // A hidden tab gets no animation frames; it still catches up, once a second.
      if (document.hidden) setTimeout(flush, 1000);
      else requestAnimationFrame(flush);
    });
    const offResync = feed.onResync(() => {
      setNotice(t('resynced'));
      void load();
    });
    return () => {
      offAlert();
      offResync();
    };
  }, []);

  const rows = useMemo(() => {
    const list = [...alerts.values()].sort((a, b) => (a.doc['@timestamp'] < b.doc['@timestamp'] ? 1 : -1));
    if (groupBy === 'none') return list.map((a) => ({ kind: 'alert', alert: a }));
    const groups = new Map();
    for (const a of list) {
      const k = groupKey[groupBy](a.doc);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(a);
    }
    const out = [];
    const ordered = [...groups.entries()].sort((x, y) => y[1].length - x[1].length);
    for (const [k, items] of ordered) {
      const worst = items.reduce((w, a) => (SEVERITY_ORDER[a.doc.chot.alert.severity] > SEVERITY_ORDER[w] ? a.doc.chot.alert.severity : w), 'low');
      out.push({ kind: 'group', key: k, items, worst });
      for (const a of items) out.push({ kind: 'alert', alert: a });
    }
    return out;
  }, [alerts, groupBy]);
  const alertRows = rows.filter((r) => r.kind === 'alert');

  const toggle = (id) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const targets = () => (selected.size ? [...selected] : alertRows[cursor] ? [alertRows[cursor].alert.id] : []);

  const bulk = async (body) => {
    try {
      const r = await api('POST', '/api/alerts/bulk', body);
      setNotice(t('bulkDone', { n: r.updated }));
      setSelected(new Set());
      setAction(undefined);
    } catch (err) {
      setError(err);
    }
  };

  const apply = (change, group) => {
    if (group) {
      const filter = { status: statuses, ...(group.by === 'rule' ? { ruleId: [group.key] } : group.by === 'source' ? { sourceIp: group.key } : { node: group.key }) };
      return bulk({ filter, change });
    }
    return bulk({ ids: targets(), change });
  };

  const start = (kind, group) => {
    if (kind === 'acknowledge') void apply({ status: 'acknowledged', assignee: me?.name }, group);
    else setAction({ kind, group });
  };

  useEffect(() => {
    const onKey = (e) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement || e.ctrlKey || e.metaKey || e.altKey) return;
      const row = alertRows[cursor];
      switch (e.key) {
        case 'j':
          setCursor((c) => Math.min(alertRows.length - 1, c + 1));
          break;
        case 'k':
          setCursor((c) => Math.max(0, c - 1));
          break;
        case 'x':
          if (row) toggle(row.alert.id);
          break;
        case 'Enter':
          if (row) go(`/alerts/${encodeURIComponent(row.alert.id)}`);
          break;
        case 'g':
          setGroupBy((g) => GROUPS[(GROUPS.indexOf(g) + 1) % GROUPS.length]);
          break;
        case 'a':
          if (canTriage) start('acknowledge');
          break;
        case 'e':
          if (canTriage) start('escalate');
          break;
        case 'c':
          if (canTriage) start('close');
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const flip = (list, set, v) => set(list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

  return (
    <main class="page queue">
      <div class="toolbar">
        <h1>{t('queue')}</h1>
        <span class="muted">
          {t('total')}: <b data-total>{total}</b>
        </span>
        <span class="chips">
          {STATUSES.map((s) => (
            <button type="button" key={s} class={`chip ${statuses.includes(s) ? 'on' : ''}`} onClick={() => flip(statuses, setStatuses, s)}>
              {t(s)}
            </button>
          ))}
        </span>
        <span class="chips">
          {SEVERITIES.map((s) => (
            <button type="button" key={s} class={`chip sev-chip-${s} ${severities.includes(s) ? 'on' : ''}`} onClick={() => flip(severities, setSeverities, s)}>
              {t(s)}
            </button>
          ))}
        </span>
        <label class="inline">
          {t('groupBy')}{' '}
          <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value)}>
            {GROUPS.map((g) => (
              <option key={g} value={g}>
                {t(g === 'none' ? 'none' : g)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {rate ? (
        <div class="rate" title={t('rate')}>
          <Histogram buckets={rate} height={120} />
        </div>
      ) : null}
      {canTriage ? (
        <div class="actions">
          <span class="muted">
            {selected.size} {t('selected')}
          </span>
          <button type="button" onClick={() => start('acknowledge')} data-action="acknowledge">
            {t('acknowledge')}
          </button>
          <button type="button" onClick={() => start('escalate')}>
            {t('escalate')}
          </button>
          <button type="button" onClick={() => start('close')}>
            {t('close')}
          </button>
          <span class="muted small">{t('shortcuts')}</span>
        </div>
      ) : null}
      {action ? <TriageForm kind={action.kind} onCancel={() => setAction(undefined)} onSubmit={(change) => apply(change, action.group)} /> : null}
      {notice ? (
        <div class="notice" role="status">
          {notice}
        </div>
      ) : null}
      <ErrorBox error={error} />
      <table class="grid">
        <thead>
          <tr>
            <th />
            <th>{t('severity')}</th>
            <th>{t('time')}</th>
            <th>{t('rule')}</th>
            <th>{t('summary')}</th>
            <th>{t('source')}</th>
            <th>{t('node')}</th>
            <th>{t('status')}</th>
            <th>{t('assignee')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) =>
            r.kind === 'group' ? (
              <tr key={`g:${r.key}`} class="group-row">
                <td colSpan={9}>
                  <Severity level={r.worst} /> <b>{groupBy === 'node' ? (places[r.key] ?? []).map((p) => p.name || p.id).join(' › ') || r.key : r.key}</b> <span class="count">{r.items.length}</span>
                  {canTriage ? (
                    <span class="group-actions">
                      <button type="button" class="link" onClick={() => setSelected(new Set(r.items.map((a) => a.id)))}>
                        {t('selectAll')}
                      </button>
                      <button type="button" class="link" onClick={() => start('acknowledge', { by: groupBy, key: r.key })}>
                        {t('acknowledge')} · {t('applyToGroup')}
                      </button>
                    </span>
                  ) : null}
                </td>
              </tr>
            ) : (
              <AlertRow
                key={r.alert.id}
                a={r.alert}
                place={places[r.alert.doc.observer.id]}
                checked={selected.has(r.alert.id)}
                focused={alertRows[cursor]?.alert.id === r.alert.id}
                onToggle={() => toggle(r.alert.id)}
              />
            ),
          )}
        </tbody>
      </table>
      {alertRows.length === 0 ? <div class="muted">{t('empty')}</div> : null}
    </main>
  );
}

function AlertRow({ a, place, checked, focused, onToggle }) {
  const d = a.doc;
  return (
    <tr class={`alert-row sev-row-${d.chot.alert.severity} ${focused ? 'focused' : ''}`} data-alert-id={a.id} data-status={d.chot.triage.status}>
      <td>
        <input type="checkbox" checked={checked} onChange={onToggle} aria-label="select" />
      </td>
      <td>
        <Severity level={d.chot.alert.severity} />
      </td>
      <td class="nowrap">{fmtTime(d['@timestamp'])}</td>
      <td>
        <a href={href('alerts', a.id)}>{d.rule.name}</a>
      </td>
      <td class="summary">{d.chot.alert.summary}</td>
      <td class="mono">{d.source?.ip ?? ''}</td>
      <td title={d.observer.id}>{place ? place[place.length - 1]?.name || d.observer.id : d.observer.id}</td>
      <td>
        <Status status={d.chot.triage.status} />
      </td>
      <td>{d.chot.triage.assignee ?? ''}</td>
    </tr>
  );
}
