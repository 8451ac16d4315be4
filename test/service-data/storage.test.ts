import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import S3rver from 's3rver';
import { isScgraphError } from '../../src/errors.ts';
import type { ObjectStore } from '../../src/service/contracts.ts';
import { createObjectStore } from '../../src/service/storage/create-object-store.ts';

const work = mkdtempSync(join(tmpdir(), 'scgraph-storage-'));
// 300 kB of seeded, non-repeating bytes (a simple LCG), so ranges cross S3/stream chunk sizes.
const payload = Buffer.alloc(300_000);
for (let i = 0, x = 12345; i < payload.length; i++) {
  x = (x * 1103515245 + 12345) >>> 0;
  payload[i] = x >>> 24;
}
const payloadPath = join(work, 'payload.bin');
writeFileSync(payloadPath, payload);
const payloadSha = createHash('sha256').update(payload).digest('hex');

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function kind(expected: string) {
  return (error: unknown) => {
    assert.ok(isScgraphError(error), `expected a ScgraphError, got ${String(error)}`);
    assert.equal(error.kind, expected, error.message);
    return true;
  };
}

function storageSuite(name: string, open: () => Promise<{ store: ObjectStore; list(): string[] }>) {
  describe(`object store: ${name}`, () => {
    let store: ObjectStore;
    let list: () => string[];
    before(async () => {
      ({ store, list } = await open());
    });

    it('stores a file and reads it back whole', async () => {
      const info = await store.putFile('datasets/hsmm/1/graph.npz', payloadPath, {
        sha256: payloadSha,
      });
      assert.deepEqual(info, {
        key: 'datasets/hsmm/1/graph.npz',
        bytes: payload.length,
        sha256: payloadSha,
      });
      const back = await bytesOf(await store.get('datasets/hsmm/1/graph.npz'));
      assert.ok(back.equals(payload));
    });

    it('reports size and sha256 in head, null when missing', async () => {
      assert.deepEqual(await store.head('datasets/hsmm/1/graph.npz'), {
        key: 'datasets/hsmm/1/graph.npz',
        bytes: payload.length,
        sha256: payloadSha,
      });
      assert.equal(await store.head('datasets/hsmm/1/none.npz'), null);
    });

    it('returns exactly the bytes of an inclusive range', async () => {
      for (const [start, end] of [
        [0, 0],
        [1, 99],
        [65_530, 200_017],
        [payload.length - 10, payload.length - 1],
      ] as const) {
        const part = await bytesOf(await store.get('datasets/hsmm/1/graph.npz', { start, end }));
        assert.ok(part.equals(payload.subarray(start, end + 1)), `${start}-${end}`);
      }
      const clamped = await store.get('datasets/hsmm/1/graph.npz', {
        start: payload.length - 5,
        end: payload.length + 100,
      });
      assert.ok((await bytesOf(clamped)).equals(payload.subarray(payload.length - 5)));
      await assert.rejects(
        store.get('datasets/hsmm/1/graph.npz', { start: payload.length, end: payload.length + 1 }),
        kind('invalid-parameter'),
      );
      await assert.rejects(
        store.get('datasets/hsmm/1/graph.npz', { start: 10, end: 5 }),
        kind('invalid-parameter'),
      );
    });

    it('rejects a sha256 mismatch and stores nothing', async () => {
      const before = list();
      await assert.rejects(
        store.putFile('datasets/hsmm/2/graph.npz', payloadPath, { sha256: '0'.repeat(64) }),
        kind('integrity'),
      );
      assert.equal(await store.head('datasets/hsmm/2/graph.npz'), null);
      assert.deepEqual(list(), before);
    });

    it('rejects keys that could escape or hide', async () => {
      for (const key of [
        '../x',
        'a/../../x',
        '/etc/passwd',
        'a//b',
        '',
        'a/./b',
        '.hidden',
        'a\\b',
      ]) {
        await assert.rejects(store.putFile(key, payloadPath), kind('invalid-parameter'), key);
        await assert.rejects(store.get(key), kind('invalid-parameter'), key);
      }
    });

    it('says not-found for a missing object', async () => {
      await assert.rejects(store.get('datasets/none'), kind('not-found'));
      await assert.rejects(store.get('datasets/none', { start: 0, end: 1 }), kind('not-found'));
    });

    it('deletes, and deleting again is fine', async () => {
      await store.delete('datasets/hsmm/1/graph.npz');
      assert.equal(await store.head('datasets/hsmm/1/graph.npz'), null);
      await store.delete('datasets/hsmm/1/graph.npz');
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}

/** Every file under `dir`, relative, hidden ones included (temp files must not linger). */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    )
    .sort();
}

storageSuite('local folder', async () => {
  const root = join(work, 'objects');
  const store = await createObjectStore({ storage: { kind: 'local', root } });
  assert.equal(store.driver, 'local');
  return { store, list: () => walk(root) };
});

let server: S3rver | undefined;
const s3dir = join(work, 's3rver');
storageSuite('S3 (s3rver over HTTP)', async () => {
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: 'graphs' }],
  });
  const { port } = await server.run();
  const store = await createObjectStore({
    storage: {
      kind: 's3',
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'graphs',
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
  });
  assert.equal(store.driver, 's3');
  return { store, list: () => walk(s3dir) };
});

after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});
