import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { loadSession, session } from './api.js';
import { Nav, visiblePages } from './components/nav.jsx';
import { lang, setLang } from './i18n.js';
import { feed } from './live.js';
import { Account } from './pages/account.jsx';
import { AlertDetail } from './pages/alert.jsx';
import { Audit } from './pages/audit.jsx';
import { CaseDetail, Cases } from './pages/cases.jsx';
import { Login } from './pages/login.jsx';
import { Queue } from './pages/queue.jsx';
import { Search } from './pages/search.jsx';
import { Sensors } from './pages/sensors.jsx';
import { Topology } from './pages/topology.jsx';
import { Users } from './pages/users.jsx';
import { route } from './router.js';
import { useSignal } from './signal.js';
import './styles.css';

function Page() {
  const r = useSignal(route);
  const [first, second] = r.parts;
  switch (first) {
    case 'alerts':
      return <AlertDetail id={second} />;
    case 'topology':
      return <Topology node={r.parts.slice(1).join('/') || undefined} />;
    case 'sensors':
      return <Sensors />;
    case 'search':
      return <Search query={r.query} />;
    case 'cases':
      return second ? <CaseDetail id={second} /> : <Cases />;
    case 'audit':
      return <Audit />;
    case 'users':
      return <Users />;
    case 'queue':
      return <Queue />;
    case 'account':
      return <Account />;
    default: {
      const start = visiblePages()[0];
      if (start && start.path !== `/${first ?? ''}`) location.hash = start.path;
      return null;
    }
  }
}

function App() {
  const user = useSignal(session);
  useSignal(lang);
  const readsAlerts = !!user && user.roles.some((r) => ['analyst', 'engineer', 'auditor'].includes(r));
  useEffect(() => {
    if (readsAlerts) feed.start();
    return () => feed.stop();
  }, [readsAlerts, user?.name]);
  if (user === undefined) return null;
  if (user === null) return <Login />;
  return (
    <>
      <Nav />
      <Page key={route.value.path} />
    </>
  );
}

setLang(lang.value);
void loadSession();
render(<App />, document.getElementById('app'));
