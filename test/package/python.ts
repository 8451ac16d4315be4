import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const INSPECT = fileURLToPath(new URL('../fixtures/package/inspect_package.py', import.meta.url));

/**
 * Why the Python interop tests cannot run here, or undefined when they can.
 * Under CI (which installs Python's packages first) they never skip: a missing
 * package then fails them instead of passing quietly.
 */
export function pythonSkipReason(): string | undefined {
  if (process.env.CI) return undefined;
  const probe = spawnSync(PYTHON, ['-c', 'import anndata, numpy, scipy'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return `needs ${PYTHON} with anndata, numpy and scipy (apt-get install python3-anndata)`;
}

/** Run a Python script (a file or `-c` code) and parse the JSON it prints. */
export function runPythonJson(args: string[]): unknown {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** What anndata and numpy see in a package's dataset.h5ad and graph.npz. */
export function inspectPackage(h5ad: string, npz: string): unknown {
  return runPythonJson([INSPECT, h5ad, npz]);
}
