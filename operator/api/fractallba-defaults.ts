/**
 * Defaults of the FractalLBA spec. The operator applies them (the CRD has none: Argo CD would
 * see server-filled defaults as drift); CEL rules inline them; descriptions state them.
 */
import { DEFAULT_BACKEND_IMAGE } from './constants.ts';

export const FLK_DEFAULTS = {
  image: DEFAULT_BACKEND_IMAGE,
  replicas: 1,
  logLevel: 'info',
  autoscaling: { enabled: false, minReplicas: 2, maxReplicas: 10, targetCPUUtilization: 70 },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  signing: { mode: 'keys' },
  dedup: { backend: 'memory', ttl: '14d', redisKey: 'address', postgresKey: 'uri' },
  wal: {
    size: '1Gi',
    accessMode: 'ReadWriteOnce',
    retention: '7d',
    compactionSchedule: '17 * * * *',
    retainOnDelete: false,
  },
  rateLimit: { tokensPerSecond: 1000, burst: 2000 },
  verify: { tolD: 0.15, tolCoh: 0.05, alpha: 0.3, beta: 0.5, gamma: 0.2, base: 0.1, d0: 2.2 },
  serviceMonitor: { enabled: false, interval: '30s' },
  prometheusRule: { enabled: false },
  ingress: { enabled: false },
  tls: { issuerKind: 'Issuer', clientCAKey: 'ca.crt' },
  networkPolicy: { enabled: true },
  pdb: { enabled: true, maxUnavailable: 1 },
  topologySpread: { zones: true },
} as const;
