/** Names and labels of the install's objects, in one place. */
import { GROUP } from '../../operator/api/constants.ts';
import type { InstallOptions } from './options.ts';

/** On every object of the install except the CRDs: which install it belongs to. */
export const INSTALL_LABEL = `${GROUP}/install`;
/**
 * On the CRDs only. Uninstalling with `-l '!flk.fractal-lba.io/crd'` leaves them, and with them
 * every FractalLBA and SigningKey (deleting a CRD deletes all of its objects).
 */
export const CRD_LABEL = `${GROUP}/crd`;

export interface InstallNames {
  serviceAccount: string;
  deployment: string;
  metricsService: string;
  lease: string;
  clusterRole: string;
  leaderElectionRole: string;
  aggregateEdit: string;
  aggregateView: string;
}

export function installNames(o: InstallOptions): InstallNames {
  return {
    serviceAccount: o.name,
    deployment: o.name,
    metricsService: `${o.name}-metrics`,
    lease: o.name,
    clusterRole: o.name,
    leaderElectionRole: `${o.name}-leader-election`,
    aggregateEdit: `${o.name}-edit`,
    aggregateView: `${o.name}-view`,
  };
}

export function installLabels(o: InstallOptions): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'flk-operator',
    'app.kubernetes.io/part-of': 'flk',
    'app.kubernetes.io/version': o.version,
    [INSTALL_LABEL]: o.name,
  };
}
