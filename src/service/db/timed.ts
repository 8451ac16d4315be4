import type { SqlOptions } from './open-sql.ts';

/** Times `run` and reports it to the hook; errors pass through with their own stack. */
export async function timed<T>(onQuery: SqlOptions['onQuery'], run: () => Promise<T>): Promise<T> {
  if (!onQuery) return run();
  const start = performance.now();
  try {
    const result = await run();
    onQuery((performance.now() - start) / 1000, true);
    return result;
  } catch (error) {
    onQuery((performance.now() - start) / 1000, false);
    throw error;
  }
}
