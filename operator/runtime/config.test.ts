import { describe, expect, it } from 'vitest';

import { ConfigError, SETTINGS, parseConfig, usage } from './config.ts';

describe('parseConfig', () => {
  it('has defaults for a local run: all namespaces, no leader election, health on loopback 8081', () => {
    const config = parseConfig([], {});

    expect(config).toMatchObject({
      namespaces: [],
      leaderElect: false,
      leaseName: 'flk-operator',
      leaseNamespace: 'default',
      healthHost: '127.0.0.1',
      healthPort: 8081,
      workers: 4,
      resyncMs: 600_000,
    });
  });

  it('reads the environment, and a flag wins over its variable', () => {
    const config = parseConfig(['--workers', '8', '--namespaces=a,b'], {
      FLK_WORKERS: '2',
      FLK_LEADER_ELECT: 'true',
      FLK_LEASE_NAMESPACE: 'flk-system',
      FLK_RESYNC: '90s',
      POD_NAMESPACE: 'flk-system',
    });

    expect(config).toMatchObject({
      workers: 8,
      namespaces: ['a', 'b'],
      leaderElect: true,
      leaseNamespace: 'flk-system',
      resyncMs: 90_000,
      operatorNamespace: 'flk-system',
    });
  });

  it.each([
    [
      { FLK_WORKERS: 'many' },
      '--workers / FLK_WORKERS: must be a whole number from 1 to 64 (got "many")',
    ],
    [
      { FLK_LEADER_ELECT: 'yes' },
      '--leader-elect / FLK_LEADER_ELECT: must be true or false (got "yes")',
    ],
    [{ FLK_HEALTH_ADDR: '8081' }, '--health-addr / FLK_HEALTH_ADDR: must be host:port'],
    [
      { FLK_WATCH_NAMESPACES: 'a,Not_OK' },
      '--namespaces / FLK_WATCH_NAMESPACES: "Not_OK" is not a namespace name',
    ],
    [{ FLK_RESYNC: '1s' }, '--resync / FLK_RESYNC: must be a duration of at least 10s'],
    [{ LOG_LEVEL: 'loud' }, '--log-level / LOG_LEVEL: must be trace, debug, info, warn or error'],
  ])('refuses %o with one line naming the setting', (env, message) => {
    expect(() => parseConfig([], env)).toThrow(ConfigError);
    expect(() => parseConfig([], env)).toThrow(message);
  });

  it('refuses an unknown flag, listing the known ones', () => {
    expect(() => parseConfig(['--leader'], {})).toThrow(/known flags: --namespaces/);
  });
});

describe('usage', () => {
  it('names every flag with its variable, so --help and the parser cannot drift apart', () => {
    const text = usage();
    for (const s of Object.values(SETTINGS))
      expect(text).toMatch(new RegExp(`--${s.flag}\\s+${s.env}\\s`));
  });
});
