import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a Secret's data into a folder the way kubelet projects a Secret volume, so a backend
 * running outside a pod sees exactly what it would see inside one:
 *
 *   dir/..2026_12_04_15_04_05.123456789/<key>   the files of this version
 *   dir/..data -> ..2026_12_04_…                 swapped atomically (rename of a new symlink)
 *   dir/<key> -> ..data/<key>                     one stable symlink per key
 *
 * Keys that are gone lose their top-level link after the swap, as with kubelet.
 */
export function projectSecret(
  dir: string,
  data: Record<string, string>,
  encoding: 'base64' | 'utf8' = 'base64',
): void {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace('Z', '');
  const version = `..${stamp}.${process.hrtime.bigint() % 1_000_000_000n}`;
  const versionDir = path.join(dir, version);
  fs.mkdirSync(versionDir);
  for (const [key, value] of Object.entries(data))
    fs.writeFileSync(path.join(versionDir, key), Buffer.from(value, encoding), { mode: 0o644 });

  const previous = readLink(path.join(dir, '..data'));
  const tmpLink = path.join(dir, '..data_tmp');
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(version, tmpLink);
  fs.renameSync(tmpLink, path.join(dir, '..data'));

  for (const key of Object.keys(data)) {
    const link = path.join(dir, key);
    if (readLink(link) !== path.join('..data', key)) {
      fs.rmSync(link, { force: true });
      fs.symlinkSync(path.join('..data', key), link);
    }
  }
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('..') || entry in data) continue;
    fs.rmSync(path.join(dir, entry), { force: true });
  }
  if (previous && previous !== version)
    fs.rmSync(path.join(dir, previous), { recursive: true, force: true });
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
