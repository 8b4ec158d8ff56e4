import { useEffect, useState } from 'preact/hooks';
import { api, hasRole } from '../api.js';
import { ErrorBox, Loading, Severity } from '../components/common.jsx';
import { fmtTime } from '../format.js';
import { lang, t } from '../i18n.js';
import { href } from '../router.js';
import { useSignal } from '../signal.js';

export function Cases() {
  useSignal(lang);
  const [data, setData] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    api('GET', '/api/cases').then(setData, setError);
  }, []);
  return (
    <main class="page cases">
      <div class="toolbar">
        <h1>{t('cases')}</h1>
      </div>
      <ErrorBox error={error} />
      {!data ? (
        <Loading />
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th>{t('severity')}</th>
              <th>{t('caseTitle')}</th>
              <th>{t('status')}</th>
              <th>{t('assignee')}</th>
              <th>{t('alerts')}</th>
              <th>{t('time')}</th>
            </tr>
          </thead>
          <tbody>
            {data.cases.map((c) => (
              <tr key={c.id}>
                <td>
                  <Severity level={c.severity} />
                </td>
                <td>
                  <a href={href('cases', c.id)}>{c.title}</a>
                </td>
                <td>{t(c.status)}</td>
                <td>{c.assignee ?? '—'}</td>
                <td>{c.alerts.length}</td>
                <td>{fmtTime(c.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

export function CaseDetail({ id }) {
  useSignal(lang);
  const [c, setCase] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [comment, setComment] = useState('');
  const canEdit = hasRole('analyst');
  useEffect(() => {
    api('GET', `/api/cases/${encodeURIComponent(id)}`).then((r) => setCase(r.case), setError);
  }, [id]);
  const act = async (method, path, body) => {
    try {
      const r = await api(method, path, body);
      setCase(r.case);
      setError(undefined);
    } catch (err) {
      if (err.code === 'conflict' && err.details?.current) setCase(err.details.current);
      setError(err);
    }
  };
  if (!c) return <main class="page">{error ? <ErrorBox error={error} /> : <Loading />}</main>;
  return (
    <main class="page case-detail">
      <div class="toolbar">
        <a href="#/cases">← {t('cases')}</a>
        <h1>
          <Severity level={c.severity} /> {c.title}
        </h1>
        <span>{t(c.status)}</span>
        {canEdit ? (
          <button type="button" onClick={() => void act('PATCH', `/api/cases/${encodeURIComponent(id)}`, { status: c.status === 'open' ? 'closed' : 'open', expectUpdatedAt: c.updatedAt })}>
            {c.status === 'open' ? t('close') : t('reopen')}
          </button>
        ) : null}
      </div>
      <ErrorBox error={error} />
      <div class="columns">
        <section class="card">
          <h2>{t('alerts')}</h2>
          <ul>
            {c.alerts.map((a) => (
              <li key={a.id}>
                <a href={href('alerts', a.id)} class="mono">
                  {a.id}
                </a>{' '}
                <span class="muted">{a.node}</span>
              </li>
            ))}
          </ul>
          <h2>{t('observables')}</h2>
          <table class="grid small">
            <tbody>
              {c.observables.map((o, i) => (
                <tr key={i}>
                  <td>{o.type}</td>
                  <td class="mono wire">{o.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>{t('comments')}</h2>
          <ol class="history">
            {c.comments.map((m, i) => (
              <li key={i}>
                <span class="muted">{fmtTime(m.at)}</span> <b>{m.by}</b>
                <div>{m.text}</div>
              </li>
            ))}
          </ol>
          {canEdit ? (
            <form
              class="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void act('POST', `/api/cases/${encodeURIComponent(id)}/comments`, { text: comment }).then(() => setComment(''));
              }}
            >
              <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} required />
              <button type="submit">{t('save')}</button>
            </form>
          ) : null}
          <p class="muted small">
            {t('assignee')}: {c.assignee ?? '—'} · {fmtTime(c.createdAt)} {c.createdBy}
          </p>
        </section>
      </div>
    </main>
  );
}
