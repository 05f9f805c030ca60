import type { Labels } from '../core/labels.js';

/** Prometheus alert states; `inactive` alerts are kept for a while after they resolve. */
export type AlertState = 'inactive' | 'pending' | 'firing';

/** An alert as the evaluator holds it (Prometheus `rules.Alert`). */
export interface RuleAlert {
  /** Alertmanager-compatible fingerprint of the labels. */
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  /** The sample value of the latest evaluation ($value); NaN for a no-data alert. */
  value: number;
  state: AlertState;
  /** When the condition first held (pending began), epoch ms. */
  activeAt: number;
  /**
   * Where `for` counts from when a restart moved it (restored state, `for_grace_period`);
   * absent: from activeAt. activeAt itself keeps the real pending-since time.
   */
  forStartedAt?: number;
  firedAt?: number;
  resolvedAt?: number;
  /** When the condition cleared while keepFiringFor/recoverExpr held the alert firing. */
  keepFiringSince?: number;
  /** Fingerprints of firing parent alerts (dependsOn) that suppress this alert. */
  suppressedBy?: string[];
  /** The identity of the source series (labels without __name__), for recoverExpr. */
  seriesKey: string;
}

/**
 * What the evaluator hands to routing (Alertmanager's PostableAlert): firing alerts every round
 * and resolved ones in the round they resolve. Times are epoch ms; `endsAt` is set once resolved.
 */
export interface PostableAlert {
  fingerprint: string;
  labels: Labels;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt?: number;
  generatorURL?: string;
  /** Firing parent alerts (dependencies) that suppress this one: it is recorded, not routed. */
  suppressedBy?: string[];
  value?: number;
}

/** The port the rule manager sends alerts through (Prometheus `NotifyFunc`). */
export type AlertSink = (alerts: PostableAlert[], context: { group: string; evaluatedAt: number }) => void | Promise<void>;
