import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isScgraphError } from '../../src/errors.ts';
import { migrate, migrationState } from '../../src/service/db/migrate.ts';
import { openSql } from '../../src/service/db/open-sql.ts';
import { type OpenBackend, sqlBackends } from './backends.ts';

for (const backend of await sqlBackends()) {
  describe(`sql on ${backend.name}`, { skip: backend.skip }, () => {
    let db: OpenBackend;
    const timings: { seconds: number; ok: boolean }[] = [];
    before(async () => {
      db = await backend.open({ onQuery: (seconds, ok) => timings.push({ seconds, ok }) });
      await db.sql.exec('CREATE TABLE t (id int PRIMARY KEY, note text); CREATE TABLE u (x int)');
    });
    after(async () => {
      await db?.cleanup();
    });

    it('binds parameters and returns rows', async () => {
      await db.sql.query('INSERT INTO t VALUES ($1, $2), ($3, $4)', [1, 'a', 2, null]);
      assert.deepEqual(await db.sql.query('SELECT id, note FROM t ORDER BY id'), [
        { id: 1, note: 'a' },
        { id: 2, note: null },
      ]);
      assert.equal(db.sql.driver, backend.name);
      assert.ok(db.sql.activeConnections() >= 1);
    });

    it('commits a transaction when its function resolves', async () => {
      const result = await db.sql.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3, $1)', ['c']);
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal((await db.sql.query('SELECT note FROM t WHERE id = 3'))[0]?.note, 'c');
    });

    it('rolls everything back when the function throws', async () => {
      await assert.rejects(
        db.sql.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (4, $1)', ['d']);
          await tx.query('INSERT INTO t VALUES (1, $1)', ['duplicate']);
        }),
        (error: { code?: string }) => error.code === '23505',
      );
      assert.deepEqual(await db.sql.query('SELECT id FROM t WHERE id = 4'), []);
    });

    it('rolls back a nested transaction to its savepoint only', async () => {
      await db.sql.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (5, $1)', ['kept']);
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.query('INSERT INTO t VALUES (6, $1)', ['undone']);
            throw new Error('inner fails');
          }),
          /inner fails/,
        );
      });
      assert.deepEqual(await db.sql.query('SELECT id FROM t WHERE id IN (5, 6)'), [{ id: 5 }]);
    });

    it('keeps concurrent transactions from interleaving', async () => {
      // Each transaction reads the count and writes count+1; without isolation
      // (PGlite is one connection) two would read the same count.
      const bump = () =>
        db.sql.transaction(async (tx) => {
          if (tx.driver === 'postgres') await tx.query('LOCK TABLE u IN EXCLUSIVE MODE');
          const [row] = await tx.query<{ n: string | number }>('SELECT count(*) AS n FROM u');
          await tx.query('INSERT INTO u VALUES ($1)', [Number(row!.n) + 1]);
        });
      await Promise.all([bump(), bump(), bump(), db.sql.query('SELECT 1'), bump()]);
      const rows = await db.sql.query<{ x: number }>('SELECT x FROM u ORDER BY x');
      assert.deepEqual(
        rows.map((r) => r.x),
        [1, 2, 3, 4],
      );
    });

    it('reports each statement to the duration hook, failures as not ok', async () => {
      const before = timings.length;
      await assert.rejects(db.sql.query('SELECT * FROM no_such_table'));
      const last = timings.at(-1)!;
      assert.equal(timings.length, before + 1);
      assert.equal(last.ok, false);
      assert.ok(last.seconds >= 0 && last.seconds < 60);
      assert.ok(timings.some((t) => t.ok));
    });
  });
}

describe('pglite data folder', () => {
  it('keeps migrations and rows across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scgraph-restart-'));
    const config = {
      database: { kind: 'pglite' as const, dataDir: dir },
      statementTimeoutMs: 5000,
    };
    try {
      const first = await openSql(config);
      assert.deepEqual(await migrate(first), ['0001_catalog']);
      await first.query(`INSERT INTO datasets (name) VALUES ('kept')`);
      await first.close();

      const second = await openSql(config);
      assert.deepEqual(await migrationState(second), { applied: ['0001_catalog'], pending: [] });
      assert.deepEqual(await second.query('SELECT name FROM datasets'), [{ name: 'kept' }]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('is refused while another live process has it open, and taken over from a dead one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scgraph-owner-'));
    const owner = `${dir}.owner.pid`;
    const config = {
      database: { kind: 'pglite' as const, dataDir: dir },
      statementTimeoutMs: 5000,
    };
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(owner, `${other.pid}\n`);
      await assert.rejects(openSql(config), (error: unknown) => {
        assert.ok(isScgraphError(error));
        assert.equal(error.kind, 'conflict');
        assert.match(error.message, new RegExp(`open in process ${other.pid}.*DATABASE_URL`));
        return true;
      });
      assert.equal(readFileSync(owner, 'utf8'), `${other.pid}\n`, 'the owner file is left alone');

      other.kill();
      await once(other, 'exit');
      const db = await openSql(config);
      assert.equal(readFileSync(owner, 'utf8'), `${process.pid}\n`);
      await db.close();
      assert.equal(existsSync(owner), false, 'released on close');
    } finally {
      other.kill();
      rmSync(dir, { recursive: true, force: true });
      rmSync(owner, { force: true });
    }
  });
});
