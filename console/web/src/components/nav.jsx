import { hasRole, logout, session } from '../api.js';
import { lang, setLang, t } from '../i18n.js';
import { liveStatus } from '../live.js';
import { route } from '../router.js';
import { useSignal } from '../signal.js';

const PAGES = [
  { path: '/queue', key: 'queue', roles: ['analyst', 'engineer', 'auditor'] },
  { path: '/topology', key: 'topology', roles: ['analyst', 'engineer', 'auditor'] },
  { path: '/sensors', key: 'sensors', roles: ['analyst', 'engineer'] },
  { path: '/search', key: 'search', roles: ['analyst', 'auditor'] },
  { path: '/cases', key: 'cases', roles: ['analyst', 'auditor'] },
  { path: '/audit', key: 'audit', roles: ['auditor', 'admin'] },
  { path: '/users', key: 'users', roles: ['admin'] },
];

export function visiblePages() {
  return PAGES.filter((p) => hasRole(...p.roles));
}

export function Nav() {
  const r = useSignal(route);
  const user = useSignal(session);
  const status = useSignal(liveStatus);
  useSignal(lang);
  return (
    <header class="nav">
      <span class="brand">Chốt</span>
      <nav>
        {visiblePages().map((p) => (
          <a key={p.path} href={`#${p.path}`} class={r.path.startsWith(p.path) || (p.path === '/queue' && r.path.startsWith('/alerts')) ? 'active' : ''}>
            {t(p.key)}
          </a>
        ))}
      </nav>
      <span class="spacer" />
      {status !== 'closed' ? <span class={`live live-${status}`} data-live={status}>{t(status === 'live' ? 'live' : status === 'catching-up' ? 'catchingUp' : 'reconnecting')}</span> : null}
      <a class="who" href="#/account" title={`${t('account')}: ${user?.roles?.join(', ') ?? ''}`}>
        {user?.displayName}
        {user?.scope ? ` · ${user.scope}` : ''}
      </a>
      <button type="button" class="link" onClick={() => setLang(lang.value === 'vi' ? 'en' : 'vi')}>
        {t('language')}
      </button>
      <button type="button" class="link" onClick={() => void logout()}>
        {t('logout')}
      </button>
    </header>
  );
}
