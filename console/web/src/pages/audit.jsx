import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { ErrorBox } from '../components/common.jsx';
import { fmtTime } from '../format.js';
import { lang, t } from '../i18n.js';
import { useSignal } from '../signal.js';

/** The audit trail, read-only: every login, query, view, export and change, by whom, with row counts. */
export function Audit() {
  useSignal(lang);
  const [filters, setFilters] = useState({ user: '', action: '' });
  const [entries, setEntries] = useState([]);
  const [total, setTotal] = useState(0);
  const [after, setAfter] = useState(undefined);
  const [error, setError] = useState(undefined);
  const load = async (more = false) => {
    try {
      const r = await api('GET', `/api/audit${qs({ ...filters, size: 100, ...(more ? { after } : {}) })}`);
      setEntries((prev) => (more ? [...prev, ...r.entries] : r.entries));
      setTotal(r.total);
      setAfter(r.after);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <main class="page audit">
      <div class="toolbar">
        <h1>{t('audit')}</h1>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void load();
          }}
        >
          <input placeholder={t('user')} value={filters.user} onInput={(e) => setFilters({ ...filters, user: e.currentTarget.value })} />
          <input placeholder={t('action')} value={filters.action} onInput={(e) => setFilters({ ...filters, action: e.currentTarget.value })} />
          <button type="submit">{t('run')}</button>
        </form>
        <span class="muted">
          {t('total')}: {total}
        </span>
      </div>
      <ErrorBox error={error} />
      <table class="grid small">
        <thead>
          <tr>
            <th>{t('time')}</th>
            <th>{t('user')}</th>
            <th>{t('action')}</th>
            <th>{t('outcome')}</th>
            <th>{t('rows')}</th>
            <th>Target</th>
            <th>Query / {t('reason')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.event.id} data-action={e.event.action}>
              <td class="nowrap">{fmtTime(e['@timestamp'])}</td>
              <td>{e.user.name}</td>
              <td class="mono">{e.event.action}</td>
              <td>{e.event.outcome}</td>
              <td>{e.chot.audit.rows ?? ''}</td>
              <td class="mono wire">{e.chot.audit.target ? JSON.stringify(e.chot.audit.target) : ''}</td>
              <td class="mono wire clip">{e.chot.audit.query ?? e.chot.audit.reason ?? e.chot.audit.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {after ? (
        <button type="button" onClick={() => void load(true)}>
          {t('more')}
        </button>
      ) : null}
    </main>
  );
}
