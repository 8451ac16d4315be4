import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BUNDLED_DATA = join(REPO, 'data');
const FIXTURES = join(REPO, 'test', 'fixtures');

/**
 * A dataset path under the bundled data/ (the catalog's datasets), else under
 * test/fixtures/ (the real-world layout cases in cases/, the anndata
 * archives); undefined when neither has it.
 */
export function dataPath(relative: string): string | undefined {
  for (const root of [BUNDLED_DATA, FIXTURES]) {
    const p = join(root, relative);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `scgraph <args>` as a child process from the repo root, the way a user does. */
export function runCli(
  args: readonly string[],
  options: { cores?: number } = {},
): Promise<CliResult> {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args];
  // taskset limits the process to the first `cores` CPUs, so Node sees that many.
  if (options.cores) command.unshift('taskset', '-c', `0-${options.cores - 1}`);
  return new Promise((done, fail) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: REPO,
      // A pipe, not a terminal: the CLI must print plain log lines.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/**
 * Runs jobs with at most `limit` at once and returns their promises in order,
 * so child processes overlap on two cores without all starting together.
 */
export function limited<T>(jobs: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T>[] {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    running--;
    queue.shift()?.();
  };
  return jobs.map(
    (job) =>
      new Promise<T>((done, fail) => {
        const start = () => {
          running++;
          job().then(done, fail).finally(next);
        };
        if (running < limit) start();
        else queue.push(start);
      }),
  );
}

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: ArrayLike<number | bigint | boolean> | string[];
}

/**
 * Reads an .npz archive with a reader written here from the npy format spec
 * (not the package's writer), for the fields the tests check.
 */
export function readNpz(path: string): Map<string, NpyArray> {
  const files = unzipSync(readFileSync(path));
  const out = new Map<string, NpyArray>();
  for (const [name, bytes] of Object.entries(files)) {
    out.set(name.replace(/\.npy$/, ''), parseNpy(bytes));
  }
  return out;
}

function parseNpy(bytes: Uint8Array): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not an npy file');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || fortran !== 'False' || shapeText === undefined) {
    throw new Error(`unexpected npy header ${header}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.slice(headerStart + headerLen);
  const buf = body.buffer;
  let data: NpyArray['data'];
  if (descr === '<f4') data = new Float32Array(buf, 0, count);
  else if (descr === '<f8') data = new Float64Array(buf, 0, count);
  else if (descr === '<i8') data = new BigInt64Array(buf, 0, count);
  else if (descr === '<i4') data = new Int32Array(buf, 0, count);
  else if (descr === '|b1') data = Array.from(new Uint8Array(buf, 0, count), (v) => v !== 0);
  else if (/^<U\d+$/.test(descr)) {
    const width = Number(descr.slice(2));
    const codes = new Uint32Array(buf, 0, count * width);
    data = Array.from({ length: count }, (_, i) =>
      String.fromCodePoint(...codes.subarray(i * width, (i + 1) * width)).replace(/\0+$/, ''),
    );
  } else throw new Error(`npy dtype ${descr} not handled by the test reader`);
  return { dtype: descr, shape, data };
}

const PYTHON = '/usr/bin/python3';

export { pythonSkipReason } from '../package/python.ts';

/** Runs a Python script file with arguments and parses the JSON it prints. */
export function runPythonJson(script: string, args: readonly string[]): unknown {
  const result = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`python ${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}
