import type { Flow, Schedulable } from '../flows/flow.js';
import type { Prng } from '../prng.js';
import type { Timeline } from '../scheduler.js';
import type { FrameSink } from '../sink.js';

/**
 * Starts benign flows as a Poisson process (exponential gaps with the given mean) until
 * the flows started hold the packet budget. Flows are made when their time comes, so
 * only the flows in progress are ever in memory.
 */
export class BenignSpawner implements Schedulable {
  at = 0;
  order = 0;
  active: boolean;
  private planned = 0;

  constructor(
    private readonly make: (start: number) => Flow,
    private readonly budget: number,
    private readonly meanGapNs: number,
    private readonly timeline: Timeline,
    private readonly rng: Prng,
  ) {
    this.active = budget > 0;
  }

  step(_sink: FrameSink, _t: number): boolean {
    const flow = this.make(this.at);
    // Added while this spawner, the earliest item, is still at its old time: the new flow
    // sorts after it, and the timeline re-sorts the spawner once its time moves on.
    this.timeline.add(flow);
    this.planned += flow.plan.count;
    if (this.planned >= this.budget) this.active = false;
    else this.at = Math.round(this.at + this.rng.exponential(this.meanGapNs));
    return false;
  }
}
