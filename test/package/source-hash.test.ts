import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashSource, startSourceHash } from '../../src/package/source-hash.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('source hashing', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'scgraph-source-hash-'));
    writeFileSync(join(root, 'one.txt'), 'hello\n');
    mkdirSync(join(root, 'folder', 'spatial'), { recursive: true });
    writeFileSync(join(root, 'folder', 'b.txt'), 'bee');
    writeFileSync(join(root, 'folder', 'spatial', 'a.txt'), 'ay');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('hashes a file on a worker thread to its sha256', async () => {
    const { result } = startSourceHash(join(root, 'one.txt'));
    // sha256 of "hello\n", as `sha256sum` prints it.
    assert.deepEqual(await result, {
      fileName: 'one.txt',
      bytes: 6,
      sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    });
  });

  it('hashes a folder as the sorted "path sha256" lines of its files', async () => {
    const expected = sha(`b.txt ${sha('bee')}\nspatial/a.txt ${sha('ay')}\n`);
    const inWorker = await startSourceHash(join(root, 'folder')).result;
    assert.deepEqual(inWorker, { fileName: 'folder/', bytes: 5, sha256: expected });
    assert.deepEqual(await hashSource(join(root, 'folder')), inWorker);
  });

  it('rejects after cancel and for a missing path', async () => {
    const started = startSourceHash(join(root, 'one.txt'));
    started.cancel();
    await assert.rejects(started.result);
    await assert.rejects(startSourceHash(join(root, 'missing.bin')).result);
  });
});
