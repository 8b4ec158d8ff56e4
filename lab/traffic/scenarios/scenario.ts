import type { Flow } from '../flows/flow.js';
import type { ScenarioSummary } from '../truth.js';

/** An attack or policy violation, planned up front: its flows and what the truth will say about it. */
export interface ScenarioPlan {
  tag: ScenarioSummary['tag'];
  description: string;
  sources: string[];
  targets: string[];
  ports: number[];
  details: ScenarioSummary['details'];
  flows: Flow[];
}
