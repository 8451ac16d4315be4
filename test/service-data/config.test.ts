import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { isScgraphError } from '../../src/errors.ts';
import { loadConfig, redactedConfig } from '../../src/service/config.ts';

function rejects(env: Record<string, string>, variable: string, fragment: string) {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(isScgraphError(error));
      assert.equal(error.kind, 'invalid-parameter');
      assert.equal(error.field, variable);
      assert.ok(error.message.startsWith(`'${variable}': `), error.message);
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    },
  );
}

describe('loadConfig', () => {
  it('uses embedded backends under ./var by default', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, resolve('var'));
    assert.deepEqual(config.database, { kind: 'pglite', dataDir: resolve('var/pg') });
    assert.deepEqual(config.storage, { kind: 'local', root: resolve('var/objects') });
    assert.deepEqual(config.cache, { kind: 'memory' });
    assert.equal(config.maxUploadBytes, 2 * 1024 ** 3);
    assert.equal(config.statementTimeoutMs, 5000);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.rateLimit, { max: 1000, windowMs: 60_000 });
  });

  it('switches to real services when their variables are set', () => {
    const config = loadConfig({
      PORT: '9000',
      DATA_DIR: '/srv/hub',
      DATABASE_URL: 'postgresql://hub:pw@db:5432/hub',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'graphs',
      S3_ACCESS_KEY_ID: 'AKIA',
      S3_SECRET_ACCESS_KEY: 'topsecret',
      REDIS_URL: 'redis://:pw@cache:6379/0',
      MAX_UPLOAD_BYTES: '500MiB',
      RATE_LIMIT_MAX: '50',
      RATE_LIMIT_WINDOW: '30s',
      LOG_LEVEL: 'debug',
    });
    assert.equal(config.port, 9000);
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgresql://hub:pw@db:5432/hub' });
    assert.deepEqual(config.storage, {
      kind: 's3',
      endpoint: 'http://minio:9000',
      bucket: 'graphs',
      region: 'us-east-1',
      accessKeyId: 'AKIA',
      secretAccessKey: 'topsecret',
      forcePathStyle: true,
    });
    assert.deepEqual(config.cache, { kind: 'redis', url: 'redis://:pw@cache:6379/0' });
    assert.equal(config.maxUploadBytes, 500 * 1024 * 1024);
    assert.deepEqual(config.rateLimit, { max: 50, windowMs: 30_000 });
    assert.equal(config.logLevel, 'debug');
  });

  it('names the variable in one clear error', () => {
    rejects({ PORT: 'eighty' }, 'PORT', "found 'eighty'");
    rejects({ PORT: '70000' }, 'PORT', '0 to 65535');
    rejects({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', 'postgresql://');
    rejects({ MAX_UPLOAD_BYTES: '-5' }, 'MAX_UPLOAD_BYTES', "found '-5'");
    rejects({ MAX_UPLOAD_BYTES: '3 parsecs' }, 'MAX_UPLOAD_BYTES', 'GiB');
    rejects({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', "found 'loud'");
    rejects({ S3_ENDPOINT: 'http://minio:9000' }, 'S3_BUCKET', 'required');
    rejects({ S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'k' }, 'S3_SECRET_ACCESS_KEY', 'required');
    rejects(
      { S3_BUCKET: 'b', S3_FORCE_PATH_STYLE: 'maybe' },
      'S3_FORCE_PATH_STYLE',
      'true or false',
    );
    rejects({ RATE_LIMIT_WINDOW: 'soon' }, 'RATE_LIMIT_WINDOW', "found 'soon'");
    rejects({ DB_STATEMENT_TIMEOUT_MS: '0' }, 'DB_STATEMENT_TIMEOUT_MS', "found '0'");
  });

  it('masks passwords and secret keys in the redacted copy', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://hub:hunter2@db/hub',
      S3_BUCKET: 'graphs',
      S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI',
      REDIS_URL: 'redis://default:swordfish@cache:6379',
    });
    const text = JSON.stringify(redactedConfig(config));
    for (const secret of ['hunter2', 'AKIAEXAMPLE', 'wJalrXUtnFEMI', 'swordfish']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.ok(text.includes('db/hub'));
    assert.equal(config.storage.kind === 's3' && config.storage.secretAccessKey, 'wJalrXUtnFEMI');
  });
});
