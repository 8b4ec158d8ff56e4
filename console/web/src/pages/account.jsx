import qrcode from 'qrcode-generator';
import { useState } from 'preact/hooks';
import { api, loadSession, session } from '../api.js';
import { ErrorBox } from '../components/common.jsx';
import { lang, t } from '../i18n.js';
import { useSignal } from '../signal.js';

/**
 * The otpauth URI as a QR code, drawn as SVG cells by Preact: no markup from a string,
 * nothing the Content-Security-Policy would have to allow.
 */
function QrCode({ text }) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const cells = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) cells.push(`M${c + 4} ${r + 4}h1v1h-1z`);
  return (
    <svg class="qr" viewBox={`0 0 ${n + 8} ${n + 8}`} width="220" height="220" role="img" aria-label={t('totpQr')}>
      <rect width={n + 8} height={n + 8} fill="#fff" />
      <path d={cells.join('')} fill="#000" />
    </svg>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState(undefined);
  const [done, setDone] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setError(undefined);
    setDone(false);
    try {
      // A new session comes back (the others end); api() takes its CSRF token.
      await api('POST', '/api/session/password', { current, next });
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="card account-password" onSubmit={submit}>
      <h2>{t('changePassword')}</h2>
      <label>
        {t('currentPassword')}
        <input type="password" name="current" autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} required />
      </label>
      <label>
        {t('newPassword')}
        <input type="password" name="next" autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} required />
      </label>
      <button type="submit">{t('save')}</button>
      {done ? <p class="notice" data-done="password">{t('passwordChanged')}</p> : null}
      <ErrorBox error={error} />
    </form>
  );
}

function TwoFactor() {
  const user = useSignal(session);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrolment, setEnrolment] = useState(undefined);
  const [error, setError] = useState(undefined);
  const run = async (fn) => {
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
  };
  const begin = (e) => {
    e.preventDefault();
    void run(async () => {
      setEnrolment(await api('POST', '/api/session/totp/begin', { password }));
      setPassword('');
    });
  };
  const confirm = (e) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/api/session/totp/confirm', { code });
      setEnrolment(undefined);
      setCode('');
      await loadSession();
    });
  };
  const remove = (e) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', '/api/session/totp/remove', { password, code });
      setPassword('');
      setCode('');
      await loadSession();
    });
  };
  const codeInput = (
    <label>
      {t('totp')}
      <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
    </label>
  );
  const passwordInput = (
    <label>
      {t('password')}
      <input type="password" name="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
    </label>
  );
  return (
    <section class="card account-totp" data-totp={user?.totp ? 'on' : 'off'}>
      <h2>{t('twoFactor')}</h2>
      {user?.totp ? (
        <form onSubmit={remove}>
          <p>{t('totpOn')}</p>
          {passwordInput}
          {codeInput}
          <button type="submit" data-action="totp-remove">
            {t('totpRemove')}
          </button>
        </form>
      ) : enrolment ? (
        <form onSubmit={confirm}>
          <p>{t('totpScan')}</p>
          <QrCode text={enrolment.uri} />
          <p>
            {t('totpManual')} <code class="mono" data-field="totp-secret">{enrolment.secret}</code>
          </p>
          {codeInput}
          <button type="submit" data-action="totp-confirm">
            {t('totpConfirm')}
          </button>
        </form>
      ) : (
        <form onSubmit={begin}>
          <p>{t('totpOff')}</p>
          {passwordInput}
          <button type="submit" data-action="totp-begin">
            {t('totpBegin')}
          </button>
        </form>
      )}
      <ErrorBox error={error} />
    </section>
  );
}

/** The user's own account: password and second factor. */
export function Account() {
  useSignal(lang);
  const user = useSignal(session);
  return (
    <main class="page account">
      <div class="toolbar">
        <h1>{t('account')}</h1>
        <span class="muted">
          {user?.name} · {user?.roles?.join(', ')}
          {user?.scope ? ` · ${user.scope}` : ''}
        </span>
      </div>
      <div class="account-cards">
        <PasswordForm />
        <TwoFactor />
      </div>
    </main>
  );
}
