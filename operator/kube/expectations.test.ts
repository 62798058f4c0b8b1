import { describe, expect, it } from 'vitest';

import { WriteExpectations } from './expectations.ts';
import { FakeClock } from './fake-clock.ts';

const at = (resourceVersion: string) => ({ metadata: { resourceVersion } });

describe('WriteExpectations', () => {
  it('holds a write in flight until the cache shows its version', () => {
    const e = new WriteExpectations(15_000, new FakeClock());
    e.expectVersion('k', '10');

    expect(e.inFlight('k', at('9'))).toBe(true);
    expect(e.inFlight('k', at('10'))).toBe(false);
    expect(e.inFlight('k', at('11'))).toBe(false);
  });

  it('is met by the watch event even when the cache has moved on since', () => {
    const e = new WriteExpectations(15_000, new FakeClock());
    e.expectVersion('k', '10');

    e.observe('k', at('10'));

    expect(e.inFlight('k', at('12'))).toBe(false);
  });

  it('is met at once when the event of the write arrived before its response was handled', () => {
    const e = new WriteExpectations(15_000, new FakeClock());
    e.observe('k', at('10'));
    e.observe('k', at('11'));

    e.expectVersion('k', '10');

    expect(e.inFlight('k', at('11'))).toBe(false);
  });

  it('waits for a deletion to reach the cache', () => {
    const e = new WriteExpectations(15_000, new FakeClock());
    e.expectGone('k');

    expect(e.inFlight('k', at('3'))).toBe(true);
    expect(e.inFlight('k', undefined)).toBe(false);
  });

  it('lets an expectation lapse after its lifetime, in case its event was never seen', async () => {
    const clock = new FakeClock();
    const e = new WriteExpectations(15_000, clock);
    e.expectVersion('k', '10');

    await clock.advance(14_999);
    expect(e.inFlight('k', at('9'))).toBe(true);
    await clock.advance(1);
    expect(e.inFlight('k', at('9'))).toBe(false);
  });
});
