import { t } from '../i18n.js';

export function Severity({ level }) {
  return <span class={`sev sev-${level}`}>{t(level)}</span>;
}

export function Status({ status }) {
  return <span class={`status status-${status}`}>{t(status)}</span>;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {t('error')}: {error.message ?? String(error)}
    </div>
  );
}

/** A place and its ancestors with their names from the inventory (ids where a name is unknown). */
export function PlacePath({ path }) {
  if (!path?.length) return null;
  return (
    <span class="place">
      {path.map((p, i) => (
        <span key={p.id}>
          {i > 0 ? ' › ' : ''}
          <span title={p.id}>{p.name || p.id}</span>
        </span>
      ))}
    </span>
  );
}

export function Loading() {
  return <div class="muted">{t('loading')}</div>;
}
