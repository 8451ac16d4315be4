/**
 * Load benchmark for the hub's HTTP API: catalog list, search and dataset
 * detail at increasing request rates (autocannon), then download throughput
 * of a large file compared with reading the same stored object from disk in
 * the same run.
 *
 * Usage: npm run bench:load -- [--rates 250,500,1000,2000] [--seconds 10]
 *        [--download-mib 1024] [--work /tmp/scbench/load]
 * It runs the compiled hub (npm run build) as a child process on 127.0.0.1
 * with rate limiting raised out of the way, and stops it at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createCatalog } from '../src/service/catalog/create-catalog.ts';
import { loadConfig } from '../src/service/config.ts';
import { openSql } from '../src/service/db/open-sql.ts';
import { createObjectStore } from '../src/service/storage/create-object-store.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '250,500,1000,2000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'download-mib': { type: 'string', default: '1024' },
    work: { type: 'string', default: '/tmp/scbench/load' },
    port: { type: 'string', default: '8765' },
  },
});
const repo = resolve(import.meta.dirname, '..');
const work = values.work;
const port = Number(values.port);
const base = `http://127.0.0.1:${port}`;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const env = {
  ...process.env,
  DATA_DIR: join(work, 'hub'),
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_MAX: '10000000',
};

// ---- a large published file, stored and catalogued through the real interfaces
const bigName = 'load-test-large-file';
const bigPath = join(work, 'large.bin');
const bigBytes = Number(values['download-mib']) * 1024 * 1024;
{
  const hash = createHash('sha256');
  const out = createWriteStream(bigPath);
  for (let written = 0; written < bigBytes; written += 1 << 24) {
    const chunk = randomBytes(Math.min(1 << 24, bigBytes - written));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const sha256 = hash.digest('hex');
  const config = loadConfig(env);
  const store = await createObjectStore(config);
  const catalog = createCatalog(await openSql(config));
  await catalog.migrate();
  const storageKey = `datasets/${bigName}/${sha256}/large.bin`;
  await store.putFile(storageKey, bigPath, { sha256 });
  await catalog.publishVersion({
    dataset: bigName,
    title: 'Load test: a large opaque file',
    description: 'Published by bench/load.ts to measure download throughput.',
    organism: 'none',
    tissue: 'none',
    modality: 'none',
    nCells: 0,
    nGenes: 0,
    labels: [],
    tasks: [],
    graphKind: 'none',
    splitKind: null,
    graphParams: {},
    graphStats: {},
    license: 'CC0-1.0',
    citation: '',
    doi: null,
    sourceSha256: sha256,
    manifest: {},
    files: [{ name: 'large.bin', format: 'binary', bytes: bigBytes, sha256, storageKey }],
  });
  await catalog.close();
}

// ---- start the hub and wait for the bundled datasets
const hub = spawn(process.execPath, ['dist/src/cli/main.js', 'serve'], {
  cwd: repo,
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stopHub = () => hub.kill('SIGTERM');
process.on('exit', stopHub);
const deadline = Date.now() + 240_000;
for (;;) {
  if (Date.now() > deadline)
    throw new Error('hub did not publish the bundled datasets within 4 minutes');
  const total = await fetch(`${base}/api/v1/datasets`)
    .then((r) => r.json() as Promise<{ total: number }>)
    .then((b) => b.total)
    .catch(() => 0);
  if (total >= 6) break;
  await new Promise((r) => setTimeout(r, 1000));
}

// ---- request rates
const targets = {
  list: '/api/v1/datasets',
  search: '/api/v1/datasets?q=muscle',
  detail: '/api/v1/datasets/hsmm-myoblast',
};
interface Autocannon {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
const rows: Record<string, unknown>[] = [];
for (const [name, path] of Object.entries(targets)) {
  for (const rate of values.rates.split(',').map(Number)) {
    const r = spawnSync(
      process.execPath,
      [
        join(repo, 'node_modules/autocannon/autocannon.js'),
        '-j',
        '-c',
        values.connections,
        '-d',
        values.seconds,
        '-R',
        String(rate),
        `${base}${path}`,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const a = JSON.parse(r.stdout) as Autocannon;
    const row = {
      endpoint: name,
      targetRate: rate,
      achievedRate: Math.round(a.requests.average),
      p50ms: a.latency.p50,
      p99ms: a.latency.p99,
      maxMs: a.latency.max,
      errors: a.errors + a.timeouts,
      non2xx: a.non2xx,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

// ---- download throughput vs reading the stored object from disk
async function throughput(read: () => Promise<AsyncIterable<Buffer>>): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of await read()) bytes += chunk.length;
  if (bytes !== bigBytes) throw new Error(`read ${bytes} bytes, expected ${bigBytes}`);
  return bytes / 1024 / 1024 / ((performance.now() - t0) / 1000);
}
const diskMiBs = await throughput(async () => createReadStream(bigPath));
const httpMiBs = await throughput(async () => {
  const res = await fetch(`${base}/api/v1/datasets/${bigName}/files/large.bin`);
  if (!res.ok || !res.body) throw new Error(`download failed: ${res.status}`);
  const { Readable } = await import('node:stream');
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
});
const download = {
  fileMiB: bigBytes / 1024 / 1024,
  diskMiBPerSecond: Math.round(diskMiBs),
  httpMiBPerSecond: Math.round(httpMiBs),
  ratioToDisk: Math.round((httpMiBs / diskMiBs) * 100) / 100,
};
console.log(JSON.stringify({ download }));

stopHub();
mkdirSync(join(repo, 'bench/out'), { recursive: true });
writeFileSync(
  join(repo, 'bench/out/load.json'),
  `${JSON.stringify({ rows, download }, null, 2)}\n`,
);
console.error('wrote bench/out/load.json');
