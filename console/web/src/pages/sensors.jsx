import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Loading } from '../components/common.jsx';
import { fmtTime } from '../format.js';
import { lang, t } from '../i18n.js';
import { useSignal } from '../signal.js';

export function Sensors() {
  useSignal(lang);
  const [data, setData] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    const load = () => api('GET', '/api/sensors').then(setData, setError);
    void load();
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <main class="page sensors">
      <div class="toolbar">
        <h1>{t('sensors')}</h1>
        {data ? (
          <span class="muted">
            {t('total')}: {data.sensors.length} · {t('ok')}: {data.sensors.filter((s) => s.health === 'ok').length} · {t('silent')}: {data.sensors.filter((s) => s.health === 'silent').length}
          </span>
        ) : null}
      </div>
      <ErrorBox error={error} />
      {!data ? (
        <Loading />
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th>{t('health')}</th>
              <th>ID</th>
              <th>{t('place')}</th>
              <th>{t('lastSeen')}</th>
              <th>{t('collector')}</th>
              <th>{t('certExpires')}</th>
            </tr>
          </thead>
          <tbody>
            {data.sensors.map((s) => (
              <tr key={s.sensorId} data-sensor={s.sensorId}>
                <td>
                  <span class={`health health-${s.health}`}>{t(s.health)}</span>
                </td>
                <td class="mono">{s.sensorId}</td>
                <td>
                  {data.places[s.node]} <span class="mono muted">({s.node})</span>
                </td>
                <td>{fmtTime(s.lastSeenMs)}</td>
                <td class="mono">{s.collector}</td>
                <td>{s.certNotAfter ? fmtTime(s.certNotAfter) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
