import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { WatchedReload, type ReadResult } from './watched-reload.ts';

const log = pino({ level: 'silent' });

/** A read whose answers a test scripts, and which can be held open to overlap reloads. */
function scriptedRead(answers: Array<ReadResult<number>>) {
  let calls = 0;
  let gate: Promise<void> = Promise.resolve();
  return {
    get calls() {
      return calls;
    },
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => release();
    },
    read: async (): Promise<ReadResult<number>> => {
      const answer = answers[Math.min(calls, answers.length - 1)] as ReadResult<number>;
      calls++;
      await gate;
      return answer;
    },
  };
}

describe('WatchedReload', () => {
  it('retries a read that found problems, then settles the clean one', async () => {
    const src = scriptedRead([
      { value: 1, problems: ['half swapped'] },
      { value: 2, problems: [] },
    ]);
    const settled: Array<ReadResult<number>> = [];
    const r = new WatchedReload({
      dirs: [],
      pollMs: 1_000,
      log,
      retryDelayMs: 1,
      read: src.read,
      settle: (x) => settled.push(x),
    });
    await r.start();
    expect(src.calls).toBe(2);
    expect(settled).toEqual([{ value: 2, problems: [] }]);
  });

  it('settles the last read with its problems once the attempts are used up', async () => {
    const src = scriptedRead([{ value: 0, problems: ['broken'] }]);
    const settled: Array<ReadResult<number>> = [];
    const r = new WatchedReload({
      dirs: [],
      pollMs: 1_000,
      log,
      attempts: 3,
      retryDelayMs: 1,
      read: src.read,
      settle: (x) => settled.push(x),
    });
    expect((await r.reload()).problems).toEqual(['broken']);
    expect(src.calls).toBe(3);
    expect(settled).toHaveLength(1);
  });

  it('never overlaps reads: calls during a read share one fresh read after it', async () => {
    const src = scriptedRead([{ value: 1, problems: [] }]);
    let settled = 0;
    const r = new WatchedReload({
      dirs: [],
      pollMs: 1_000,
      log,
      read: src.read,
      settle: () => settled++,
    });
    const release = src.hold();
    const first = r.reload();
    const during = [r.reload(), r.reload(), r.reload()];
    expect(during[0]).toBe(during[2]);
    release();
    await Promise.all([first, ...during]);
    expect(src.calls).toBe(2);
    expect(settled).toBe(2);
  });

  it('reloads when a file in a watched folder changes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flk-reload-'));
    const file = path.join(dir, 'value');
    fs.writeFileSync(file, '1');
    const seen: number[] = [];
    const r = new WatchedReload({
      dirs: [dir],
      pollMs: 60_000,
      debounceMs: 10,
      log,
      read: async () => ({ value: Number(fs.readFileSync(file, 'utf8')), problems: [] }),
      settle: (x) => seen.push(x.value),
    });
    try {
      await r.start();
      fs.writeFileSync(file, '2');
      for (let i = 0; i < 200 && !seen.includes(2); i++)
        await new Promise((res) => setTimeout(res, 25));
      expect(seen).toEqual([1, 2]);
    } finally {
      r.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
