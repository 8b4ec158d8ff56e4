import type { StoredAlert } from '../alerts/store.js';
import type { Escalation, TriageChange } from '../alerts/triage.js';
import type { CaseStore } from './store.js';

/** Escalation opens a case from the alert, or links the alert into an existing one. */
export class CaseEscalation implements Escalation {
  constructor(private readonly cases: CaseStore) {}

  async escalate(alert: StoredAlert, target: TriageChange['case'], by: string, subtree: string | undefined): Promise<string> {
    if (target && 'id' in target) {
      const updated = await this.cases.modify(target.id, subtree, by, (doc) => this.cases.linkAlert(doc, alert));
      return updated.doc.id;
    }
    const created = await this.cases.create({ title: target!.title, severity: alert.doc.chot.alert.severity, by, alerts: [alert], ...(alert.doc.chot.triage.assignee ? { assignee: alert.doc.chot.triage.assignee } : {}) });
    return created.doc.id;
  }
}
