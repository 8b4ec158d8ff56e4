import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, hasRole, session } from '../api.js';
import { ErrorBox, Loading, PlacePath, Severity, Status } from '../components/common.jsx';
import { TriageForm } from '../components/triage-form.jsx';
import { fmtTime, get, text } from '../format.js';
import { lang, t } from '../i18n.js';
import { feed } from '../live.js';
import { href } from '../router.js';
import { useSignal } from '../signal.js';

const EVIDENCE_COLUMNS = ['@timestamp', 'source.ip', 'source.port', 'destination.ip', 'destination.port', 'network.transport', 'network.protocol', 'zeek.connection.state', 'app.tls.serverName', 'app.dns'];

/** A search of the connection logs around the alert: its endpoints, a quarter hour either side. */
function pivotHref(d) {
  const at = Date.parse(d.event.start || d['@timestamp']);
  const end = Date.parse(d.event.end || d['@timestamp']);
  const filters = [];
  if (d.source?.ip) filters.push({ op: 'is', field: 'source.ip', value: d.source.ip });
  if (d.destination?.ip) filters.push({ op: 'is', field: 'destination.ip', value: d.destination.ip });
  const q = { from: new Date(at - 900_000).toISOString(), to: new Date(end + 900_000).toISOString(), filters, node: d.observer.id };
  return `#/search?q=${encodeURIComponent(JSON.stringify(q))}`;
}

export function AlertDetail({ id }) {
  useSignal(lang);
  const me = useSignal(session);
  const [alert, setAlert] = useState(undefined);
  const [history, setHistory] = useState([]);
  const [evidence, setEvidence] = useState([]);
  const [error, setError] = useState(undefined);
  const [notice, setNotice] = useState('');
  const [form, setForm] = useState(undefined);
  const [note, setNote] = useState('');
  const canTriage = hasRole('analyst');

  // Whether a change to this alert arrived while it was being read: the answer may predate it, so it is read again.
  const changedWhileLoading = useRef(false);
  const load = async () => {
    try {
      changedWhileLoading.current = false;
      let a = await api('GET', `/api/alerts/${encodeURIComponent(id)}`);
      if (changedWhileLoading.current) a = await api('GET', `/api/alerts/${encodeURIComponent(id)}`);
      setAlert(a);
      const [h, ev] = await Promise.all([api('GET', `/api/alerts/${encodeURIComponent(id)}/history`), api('GET', `/api/alerts/${encodeURIComponent(id)}/evidence`)]);
      setHistory(h.history);
      setEvidence(ev.records);
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    void load();
    // Another analyst's change to this alert shows at once.
    return feed.onAlert((e) => {
      if (e.alertId !== id) return;
      changedWhileLoading.current = true;
      setAlert((prev) => (prev ? { ...prev, doc: e.doc } : prev));
      if (e.by && e.by !== session.value?.name) void api('GET', `/api/alerts/${encodeURIComponent(id)}/history`).then((h) => setHistory(h.history), () => {});
    });
  }, [id]);

  /** base: the state the analyst decided on (when the form opened), so a change made meanwhile is not overwritten. */
  const change = async (body, base = alert.doc.chot.triage.updatedAt) => {
    setError(undefined);
    setNotice('');
    try {
      const r = await api('POST', `/api/alerts/${encodeURIComponent(id)}/triage`, { ...body, expectUpdatedAt: base });
      setAlert((prev) => ({ ...prev, doc: r.doc }));
      setForm(undefined);
      const h = await api('GET', `/api/alerts/${encodeURIComponent(id)}/history`);
      setHistory(h.history);
    } catch (err) {
      if (err.code === 'conflict' && err.details?.current) {
        setAlert((prev) => ({ ...prev, doc: err.details.current.doc }));
        setNotice(t('conflict', { by: err.details.current.doc.chot.triage.updatedBy ?? '?' }));
        setForm(undefined);
      } else setError(err);
    }
  };

  const addNote = async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/api/alerts/${encodeURIComponent(id)}/notes`, { text: note });
      setNote('');
      setHistory((await api('GET', `/api/alerts/${encodeURIComponent(id)}/history`)).history);
    } catch (err) {
      setError(err);
    }
  };

  if (!alert) return error ? <main class="page"><ErrorBox error={error} /></main> : <main class="page"><Loading /></main>;
  const d = alert.doc;
  const tr = d.chot.triage;
  const ex = d.chot.alert.explanation ?? { conditions: [] };
  return (
    <main class="page alert-detail" data-alert-id={alert.id}>
      <div class="toolbar">
        <a href="#/queue">← {t('queue')}</a>
        <h1>
          <Severity level={d.chot.alert.severity} /> {d.rule.name}
        </h1>
        <Status status={tr.status} />
      </div>
      <p class="summary big" data-field="summary">
        {d.chot.alert.summary}
      </p>
      {notice ? (
        <div class="notice conflict" role="status">
          {notice}
        </div>
      ) : null}
      <ErrorBox error={error} />
      <div class="columns">
        <section class="card">
          <h2>{t('rule')}</h2>
          <dl>
            <dt>ID</dt>
            <dd class="mono">{d.rule.id}</dd>
            <dt>{t('ruleVersion')}</dt>
            <dd class="mono">{d.rule.version}</dd>
            <dt>{t('summary')}</dt>
            <dd>{d.rule.description}</dd>
            <dt>{t('time')}</dt>
            <dd>
              {fmtTime(d.event.start)} – {fmtTime(d.event.end)}
            </dd>
            <dt>{t('repeats')}</dt>
            <dd data-field="suppressed">{String(d.chot.alert.suppressed ?? 0)}</dd>
            {d.threat ? (
              <>
                <dt>MITRE ATT&amp;CK</dt>
                <dd>{d.threat.technique.id.join(', ')}</dd>
              </>
            ) : null}
          </dl>
          <h2>{t('whatMatched')}</h2>
          <table class="grid small">
            <thead>
              <tr>
                <th>{t('field')}</th>
                <th>{t('op')}</th>
                <th>{t('expected')}</th>
                <th>{t('actual')}</th>
              </tr>
            </thead>
            <tbody>
              {ex.conditions.map((c, i) => (
                <tr key={i}>
                  <td class="mono">{c.field}</td>
                  <td>{c.op}</td>
                  <td class="mono">{text(c.expected)}</td>
                  <td class="mono">{text(c.actual)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {ex.window ? (
            <p>
              {t('window')}: {ex.window.seconds}s · {ex.window.function}
              {ex.window.field ? `(${ex.window.field})` : ''} = {ex.window.value}
              {ex.window.threshold !== undefined ? ` / ${ex.window.threshold}` : ''}
            </p>
          ) : null}
          <h2>{t('groupBy')}</h2>
          <dl class="group-values">
            {Object.entries(d.chot.alert.group ?? {}).map(([k, v]) => (
              <Fragment key={k}>
                <dt class="mono">{k}</dt>
                <dd class="mono wire" data-group-field={k}>
                  {text(v)}
                </dd>
              </Fragment>
            ))}
          </dl>
        </section>
        <section class="card">
          <h2>{t('place')}</h2>
          <p>
            <PlacePath path={alert.place} /> <span class="mono muted">({d.observer.id})</span>
          </p>
          <p>
            <a href={href('topology', d.observer.id)}>{t('topology')} →</a>
          </p>
          <h2>{t('status')}</h2>
          <dl>
            <dt>{t('assignee')}</dt>
            <dd>{tr.assignee ?? '—'}</dd>
            <dt>{t('tags')}</dt>
            <dd>{tr.tags.join(', ') || '—'}</dd>
            {tr.verdict ? (
              <>
                <dt>{t('verdict')}</dt>
                <dd>
                  {t(tr.verdict)} — {tr.reason}
                </dd>
              </>
            ) : null}
            {tr.caseId ? (
              <>
                <dt>{t('cases')}</dt>
                <dd>
                  <a href={href('cases', tr.caseId)}>{tr.caseId}</a>
                </dd>
              </>
            ) : null}
          </dl>
          {canTriage ? (
            <div class="actions">
              {tr.status === 'new' ? (
                <button type="button" data-action="acknowledge" onClick={() => void change({ status: 'acknowledged', assignee: me?.name })}>
                  {t('acknowledge')}
                </button>
              ) : null}
              {tr.assignee !== me?.name ? (
                <button type="button" onClick={() => void change({ assignee: me?.name })}>
                  {t('assignToMe')}
                </button>
              ) : null}
              <button type="button" data-action="escalate" onClick={() => setForm({ kind: 'escalate', base: tr.updatedAt })}>
                {t('escalate')}
              </button>
              {tr.status !== 'closed' ? (
                <button type="button" data-action="close" onClick={() => setForm({ kind: 'close', base: tr.updatedAt })}>
                  {t('close')}
                </button>
              ) : (
                <button type="button" onClick={() => void change({ status: 'new' })}>
                  {t('reopen')}
                </button>
              )}
            </div>
          ) : null}
          {form ? <TriageForm kind={form.kind} onCancel={() => setForm(undefined)} onSubmit={(c) => void change(c, form.base)} /> : null}
          <h2>{t('history')}</h2>
          <ol class="history">
            {history.map((h, i) => (
              <li key={i}>
                <span class="muted">{fmtTime(h.at)}</span> <b>{h.by}</b> {h.action.replace('alert.', '')}
                {h.changes?.status ? ` ${t(h.changes.status.from)} → ${t(h.changes.status.to)}` : ''}
                {h.changes?.verdict ? ` (${t(h.changes.verdict)})` : ''}
                {h.reason ? <div class="muted">{h.reason}</div> : null}
                {h.note ? <div>{h.note}</div> : null}
              </li>
            ))}
          </ol>
          {canTriage ? (
            <form onSubmit={addNote} class="inline-form">
              <input name="note" value={note} onInput={(e) => setNote(e.currentTarget.value)} placeholder={t('addNote')} required />
              <button type="submit">{t('save')}</button>
            </form>
          ) : null}
        </section>
      </div>
      <section class="card">
        <h2>
          {t('evidence')} <a href={pivotHref(d)}>{t('pivot')} →</a>
        </h2>
        <table class="grid small">
          <thead>
            <tr>
              {EVIDENCE_COLUMNS.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {evidence.map((r) => (
              <tr key={r.id}>
                {EVIDENCE_COLUMNS.map((c) => (
                  <td key={c} class="mono wire">
                    {c === '@timestamp' ? fmtTime(r.source[c]) : text(get(r.source, c))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}
