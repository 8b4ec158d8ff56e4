import { useEffect, useState } from 'preact/hooks';
import { api, hasRole } from '../api.js';
import { ErrorBox } from '../components/common.jsx';
import { Histogram } from '../components/histogram.jsx';
import { fmtTime, fromLocalInput, get, text, toLocalInput } from '../format.js';
import { lang, t } from '../i18n.js';
import { useSignal } from '../signal.js';

const COLUMNS = ['@timestamp', 'observer.id', 'source.ip', 'source.port', 'destination.ip', 'destination.port', 'network.transport', 'network.protocol', 'zeek.connection.state', 'source.bytes', 'destination.bytes'];
const GROUP_FIELDS = ['observer.province', 'destination.ip', 'source.ip', 'destination.port', 'network.protocol'];
const OPS = ['is', 'is_not', 'cidr', 'not_cidr', 'exists', 'missing'];

function initialSpec(query) {
  const now = Date.now();
  const base = { dataset: 'conn', from: new Date(now - 3_600_000).toISOString(), to: new Date(now).toISOString(), filters: [], groupBy: ['observer.province', 'destination.ip'] };
  const q = query.get('q');
  if (!q) return base;
  try {
    return { ...base, ...JSON.parse(q) };
  } catch {
    return base;
  }
}

/** A number typed into a numeric field's filter is sent as a number. */
function valueOf(field, raw) {
  return /port|bytes|packets|duration/.test(field) && /^\d+$/.test(raw) ? Number(raw) : raw;
}

/**
 * Hunting and auditor search over connection logs: filters by field, value and CIDR,
 * a time range shown and entered in Vietnam time, a histogram, group-by counts, and
 * include / exclude / only from any value. Pages come from a point in time by cursor.
 */
export function Search({ query }) {
  useSignal(lang);
  const [spec, setSpec] = useState(() => initialSpec(query));
  const [result, setResult] = useState(undefined);
  const [rows, setRows] = useState([]);
  const [cursor, setCursor] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [picked, setPicked] = useState(undefined);
  const [draft, setDraft] = useState({ field: 'source.ip', op: 'is', value: '' });
  const [busy, setBusy] = useState(false);

  const run = async (s = spec) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api('POST', '/api/search', { ...s, size: 100 });
      setResult(r);
      setRows(r.rows);
      setCursor(r.cursor);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const more = async () => {
    try {
      const r = await api('POST', '/api/search', { ...spec, size: 100, cursor });
      setRows((prev) => [...prev, ...r.rows]);
      setCursor(r.cursor);
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    void run();
  }, []);

  const update = (next) => {
    setSpec(next);
    void run(next);
  };

  const applyValue = (mode) => {
    const { field, value } = picked;
    const others = spec.filters.filter((f) => !(mode === 'only' && f.field === field));
    const filter = { op: mode === 'exclude' ? 'is_not' : 'is', field, value };
    update({ ...spec, filters: [...others, filter] });
    setPicked(undefined);
  };

  const addFilter = (e) => {
    e.preventDefault();
    const f = draft.op === 'exists' || draft.op === 'missing' ? { op: draft.op, field: draft.field } : { op: draft.op, field: draft.field, value: valueOf(draft.field, draft.value) };
    update({ ...spec, filters: [...spec.filters, f] });
    setDraft({ ...draft, value: '' });
  };

  const exportHref = (format) => `/api/search/export?format=${format}&q=${encodeURIComponent(JSON.stringify({ dataset: spec.dataset, from: spec.from, to: spec.to, filters: spec.filters, ...(spec.node ? { node: spec.node } : {}) }))}`;

  return (
    <main class="page search">
      <div class="toolbar">
        <h1>{t('search')}</h1>
        <label class="inline">
          {t('dataset')}{' '}
          <select value={spec.dataset} onChange={(e) => update({ ...spec, dataset: e.currentTarget.value })}>
            <option value="conn">{t('conn')}</option>
            <option value="policy">{t('policy')}</option>
          </select>
        </label>
        <label class="inline">
          {t('from')} <input type="datetime-local" value={toLocalInput(spec.from)} onChange={(e) => update({ ...spec, from: fromLocalInput(e.currentTarget.value) })} />
        </label>
        <label class="inline">
          {t('to')} <input type="datetime-local" value={toLocalInput(spec.to)} onChange={(e) => update({ ...spec, to: fromLocalInput(e.currentTarget.value) })} />
        </label>
        <span class="muted small">Asia/Ho_Chi_Minh</span>
      </div>
      <div class="filters">
        {spec.node ? (
          <span class="chip on">
            {t('node')}: {spec.node}{' '}
            <button type="button" class="link" onClick={() => update({ ...spec, node: undefined })}>
              ✕
            </button>
          </span>
        ) : null}
        {spec.filters.map((f, i) => (
          <span class={`chip on ${f.op.includes('not') || f.op === 'missing' ? 'negated' : ''}`} key={i}>
            {f.field} {f.op} {f.value !== undefined ? text(f.value) : ''}{' '}
            <button type="button" class="link" onClick={() => update({ ...spec, filters: spec.filters.filter((_, j) => j !== i) })}>
              ✕
            </button>
          </span>
        ))}
        <form class="inline-form" onSubmit={addFilter}>
          <input name="field" value={draft.field} onInput={(e) => setDraft({ ...draft, field: e.currentTarget.value })} size={16} />
          <select name="op" value={draft.op} onChange={(e) => setDraft({ ...draft, op: e.currentTarget.value })}>
            {OPS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          <input name="value" value={draft.value} onInput={(e) => setDraft({ ...draft, value: e.currentTarget.value })} placeholder="10.0.0.0/8" size={18} />
          <button type="submit">{t('addFilter')}</button>
        </form>
        <button type="button" onClick={() => void run()} disabled={busy}>
          {t('run')}
        </button>
        {hasRole('auditor') ? (
          <>
            <a class="button" href={exportHref('csv')} download>
              {t('exportCsv')}
            </a>
            <a class="button" href={exportHref('ndjson')} download>
              {t('exportNdjson')}
            </a>
          </>
        ) : null}
      </div>
      {picked ? (
        <div class="value-menu card">
          <span class="mono">{picked.field}</span> = <span class="mono wire">{text(picked.value)}</span>
          <button type="button" onClick={() => applyValue('include')}>
            {t('include')}
          </button>
          <button type="button" onClick={() => applyValue('exclude')}>
            {t('exclude')}
          </button>
          <button type="button" onClick={() => applyValue('only')}>
            {t('only')}
          </button>
          <button type="button" class="link" onClick={() => setPicked(undefined)}>
            ✕
          </button>
        </div>
      ) : null}
      <ErrorBox error={error} />
      {result ? (
        <>
          <div class="muted">
            {t('total')}: <b data-total>{result.total.toLocaleString()}</b> {t('rows')}
          </div>
          <div class="columns">
            <section class="card wide">
              <h2>{t('histogram')}</h2>
              <Histogram buckets={result.histogram?.buckets} />
            </section>
            <section class="card">
              <label class="inline">
                {t('groupBy')}{' '}
                <select value={spec.groupBy[0] ?? ''} onChange={(e) => update({ ...spec, groupBy: [e.currentTarget.value, ...spec.groupBy.slice(1)].filter(Boolean) })}>
                  {GROUP_FIELDS.map((g) => (
                    <option key={g} value={g}>
                      {g}
                    </option>
                  ))}
                </select>
              </label>
              {Object.entries(result.groups ?? {}).map(([field, buckets]) => (
                <table class="grid small" key={field}>
                  <thead>
                    <tr>
                      <th>{field}</th>
                      <th>{t('count')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {buckets.map((b) => (
                      <tr key={b.key}>
                        <td class="mono wire clickable" onClick={() => setPicked({ field, value: valueOf(field, b.key) })}>
                          {b.key}
                        </td>
                        <td>{b.count.toLocaleString()}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ))}
            </section>
          </div>
          <table class="grid small results">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.index}/${r.id}`}>
                  {COLUMNS.map((c) => {
                    const v = get(r.source, c);
                    return (
                      <td key={c} class="mono wire clickable" onClick={() => v !== undefined && setPicked({ field: c, value: v })}>
                        {c === '@timestamp' ? fmtTime(v) : text(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {cursor ? (
            <button type="button" onClick={() => void more()}>
              {t('more')}
            </button>
          ) : null}
        </>
      ) : null}
    </main>
  );
}
