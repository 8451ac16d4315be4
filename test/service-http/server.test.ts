import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isScgraphError } from '../../src/errors.ts';
import { loadConfig } from '../../src/service/config.ts';
import { createLogger } from '../../src/service/logger.ts';
import { startServer } from '../../src/service/server.ts';

test('startServer migrates, serves, and shuts down gracefully', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'scgraph-server-'));
  const logs: string[] = [];
  try {
    const server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), {
      handleSignals: false,
      logger: createLogger({ destination: { write: (s: string) => logs.push(s) } }),
    });
    const detailed = (await (await fetch(`${server.url}/health/detailed`)).json()) as {
      migrations: { pending: string[] };
      drivers: Record<string, string>;
    };
    assert.deepEqual(detailed.migrations.pending, []);
    assert.equal(detailed.drivers.database, 'pglite');
    await server.close();
    await server.close();
    await assert.rejects(fetch(`${server.url}/health`));
    const messages = logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(messages.includes('stopped'));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('startServer on a port that is taken fails with one message naming the port', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'scgraph-server-'));
  const holder = createServer();
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
  const port = (holder.address() as AddressInfo).port;
  try {
    await assert.rejects(
      startServer(loadConfig({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' }), {
        handleSignals: false,
        logger: createLogger({ destination: { write: () => {} } }),
      }),
      (error: unknown) => {
        assert.ok(isScgraphError(error));
        assert.equal(error.kind, 'conflict');
        assert.equal(error.field, 'PORT');
        assert.match(
          error.message,
          new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`),
        );
        return true;
      },
    );
  } finally {
    holder.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
