import { useState } from 'preact/hooks';
import { login } from '../api.js';
import { lang, setLang, t } from '../i18n.js';
import { useSignal } from '../signal.js';

export function Login() {
  useSignal(lang);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await login(username, password, needTotp ? totp : undefined);
    } catch (err) {
      if (err.code === 'totp_required') {
        setNeedTotp(true);
        setError(t('totpRequired'));
      } else setError(err.code === 'bad_credentials' ? t('badCredentials') : err.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} class="card">
        <h1>{t('appName')}</h1>
        <label>
          {t('username')}
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        {needTotp ? (
          <label>
            {t('totp')}
            <input name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" value={totp} onInput={(e) => setTotp(e.currentTarget.value)} required />
          </label>
        ) : null}
        {error ? <div class="error" role="alert">{error}</div> : null}
        <button type="submit" disabled={busy}>
          {t('login')}
        </button>
        <button type="button" class="link" onClick={() => setLang(lang.value === 'vi' ? 'en' : 'vi')}>
          {t('language')}
        </button>
      </form>
    </main>
  );
}
