import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { ErrorBox, Loading } from '../components/common.jsx';
import { lang, t } from '../i18n.js';
import { href } from '../router.js';
import { useSignal } from '../signal.js';

/** Province → district → commune, each with its sensors' health and open alerts; click to go down a level. */
export function Topology({ node }) {
  useSignal(lang);
  const [view, setView] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    setView(undefined);
    api('GET', `/api/topology${qs({ node })}`).then(setView, setError);
  }, [node]);
  return (
    <main class="page topology">
      <div class="toolbar">
        <h1>{t('topology')}</h1>
        <nav class="crumbs">
          <a href="#/topology">{t('country')}</a>
          {(view?.path ?? []).map((p) => (
            <span key={p.id}>
              {' › '}
              <a href={href('topology', p.id)}>{p.name || p.id}</a>
            </span>
          ))}
        </nav>
      </div>
      <ErrorBox error={error} />
      {!view ? (
        <Loading />
      ) : (
        <div class="tiles">
          {view.children.map((c) => (
            <a key={c.id} class={`tile ${c.openAlerts ? 'has-alerts' : ''} ${c.sensors.silent || c.sensors.disconnected ? 'degraded' : ''}`} href={c.hasChildren ? href('topology', c.id) : `#/queue`} data-node={c.id}>
              <div class="tile-name">{c.name || c.id}</div>
              <div class="mono muted small">{c.id}</div>
              <div class="tile-stats">
                <span title={t('openAlerts')} class={c.openAlerts ? 'alerts-count' : 'muted'}>
                  ⚠ {c.openAlerts}
                </span>
                <span title={t('ok')} class="ok">● {c.sensors.ok}</span>
                <span title={t('silent')} class="silent">● {c.sensors.silent}</span>
                <span title={t('disconnected')} class="down">● {c.sensors.disconnected}</span>
              </div>
            </a>
          ))}
          {view.children.length === 0 ? <div class="muted">{t('empty')}</div> : null}
        </div>
      )}
    </main>
  );
}
