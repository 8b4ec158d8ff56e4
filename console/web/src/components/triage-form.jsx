import { useState } from 'preact/hooks';
import { t } from '../i18n.js';

const VERDICTS = ['true_positive', 'false_positive', 'benign'];

/** Asks what closing or escalating needs: a verdict and a reason, or the case. */
export function TriageForm({ kind, onSubmit, onCancel }) {
  const [verdict, setVerdict] = useState('true_positive');
  const [reason, setReason] = useState('');
  const [title, setTitle] = useState('');
  const [caseId, setCaseId] = useState('');
  const submit = (e) => {
    e.preventDefault();
    if (kind === 'close') onSubmit({ status: 'closed', verdict, reason });
    else onSubmit({ status: 'escalated', case: caseId.trim() ? { id: caseId.trim() } : { title }, ...(reason ? { reason } : {}) });
  };
  return (
    <form class="triage-form card" onSubmit={submit}>
      {kind === 'close' ? (
        <label>
          {t('verdict')}{' '}
          <select name="verdict" value={verdict} onChange={(e) => setVerdict(e.currentTarget.value)}>
            {VERDICTS.map((v) => (
              <option key={v} value={v}>
                {t(v)}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <>
          <label>
            {t('newCase')}: {t('caseTitle')} <input name="title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required={!caseId.trim()} />
          </label>
          <label>
            {t('existingCase')} <input name="caseId" value={caseId} onInput={(e) => setCaseId(e.currentTarget.value)} />
          </label>
        </>
      )}
      <label>
        {t('reason')} <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required={kind === 'close'} />
      </label>
      <button type="submit">{t(kind === 'close' ? 'close' : 'escalate')}</button>
      <button type="button" class="link" onClick={onCancel}>
        ✕
      </button>
    </form>
  );
}
