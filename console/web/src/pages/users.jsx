import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox } from '../components/common.jsx';
import { fmtTime } from '../format.js';
import { lang, t } from '../i18n.js';
import { useSignal } from '../signal.js';

const ROLES = ['analyst', 'engineer', 'auditor', 'admin'];

export function Users() {
  useSignal(lang);
  const [users, setUsers] = useState([]);
  const [error, setError] = useState(undefined);
  const [draft, setDraft] = useState({ name: '', displayName: '', roles: ['analyst'], scope: '', password: '' });
  const load = () => api('GET', '/api/users').then((r) => setUsers(r.users), setError);
  useEffect(() => {
    void load();
  }, []);
  const patch = async (name, body) => {
    try {
      await api('PATCH', `/api/users/${encodeURIComponent(name)}`, body);
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const create = async (e) => {
    e.preventDefault();
    try {
      await api('POST', '/api/users', { ...draft, ...(draft.scope ? {} : { scope: undefined }) });
      setDraft({ name: '', displayName: '', roles: ['analyst'], scope: '', password: '' });
      await load();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <main class="page users">
      <div class="toolbar">
        <h1>{t('users')}</h1>
      </div>
      <ErrorBox error={error} />
      <table class="grid">
        <thead>
          <tr>
            <th>{t('username')}</th>
            <th>{t('displayName')}</th>
            <th>{t('roles')}</th>
            <th>{t('scope')}</th>
            <th>TOTP</th>
            <th>{t('status')}</th>
            <th>{t('time')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name}>
              <td class="mono">{u.name}</td>
              <td>{u.displayName}</td>
              <td>{u.roles.join(', ')}</td>
              <td>{u.scope ?? t('country')}</td>
              <td>{u.totp ? '✓' : '—'}</td>
              <td>{u.disabled ? t('disabled') : t('ok')}</td>
              <td>{fmtTime(u.updatedAt)}</td>
              <td>
                <button type="button" class="link" onClick={() => void patch(u.name, { disabled: !u.disabled })}>
                  {u.disabled ? t('enable') : t('disable')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card inline-form" onSubmit={create}>
        <h2>{t('addUser')}</h2>
        <input placeholder={t('username')} value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} required />
        <input placeholder={t('displayName')} value={draft.displayName} onInput={(e) => setDraft({ ...draft, displayName: e.currentTarget.value })} required />
        <select value={draft.roles[0]} onChange={(e) => setDraft({ ...draft, roles: [e.currentTarget.value] })}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <input placeholder={`${t('scope')} (01, 01/001)`} value={draft.scope} onInput={(e) => setDraft({ ...draft, scope: e.currentTarget.value })} />
        <input type="password" autocomplete="new-password" placeholder={t('password')} value={draft.password} onInput={(e) => setDraft({ ...draft, password: e.currentTarget.value })} required />
        <button type="submit">{t('addUser')}</button>
      </form>
    </main>
  );
}
