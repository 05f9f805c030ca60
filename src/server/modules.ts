import type { ServerModule } from './module.js';
import { runbookKind } from '../incidents/runbook-kind.js';
import { checksModule } from '../checks/checks-module.js';
import { metricsModule } from '../metrics/module.js';
import { hostMetricsModule } from '../metrics/host-module.js';
import { alertingModule } from '../alerting-module/module.js';

/**
 * Every capability this build includes, in start order. A capability adds one line here.
 */
export const SERVER_MODULES: readonly ServerModule[] = [
  { name: 'runbooks', kinds: [runbookKind] },
  checksModule,
  metricsModule,
  hostMetricsModule,
  alertingModule,
];
