/**
 * The catalog on either Postgres driver: datasets with immutable versions and
 * their files, download counters, API keys (hashes only) and build jobs.
 */
import { invalidParameter, ScgraphError } from '../../errors.ts';
import type {
  Catalog,
  DatasetSummary,
  JobRecord,
  Role,
  Sql,
  VersionInput,
  VersionRecord,
} from '../contracts.ts';
import { migrate, migrationState } from '../db/migrate.ts';
import { searchDatasets } from './search-datasets.ts';
import {
  derivedColumns,
  toVersionRecord,
  VERSION_COLUMNS,
  type VersionRow,
} from './version-row.ts';

const DATASET_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/i;
const ROLES: readonly Role[] = ['reader', 'curator', 'admin'];

/**
 * Builds the catalog on an open database. The catalog owns `sql` from then on:
 * `catalog.close()` closes it. Call `migrate()` before first use.
 */
export function createCatalog(sql: Sql): Catalog {
  return {
    migrate: () => migrate(sql),
    migrationState: () => migrationState(sql),
    publishVersion: (input) => publishVersion(sql, input),

    async getDataset(name) {
      // Newest live version; when every version is retracted, the newest retracted one,
      // so the dataset page can still say what happened.
      const rows = await sql.query<VersionRow & { downloads: number | string }>(
        `SELECT ${VERSION_COLUMNS}, d.downloads
         FROM versions v JOIN datasets d ON d.name = v.dataset
         WHERE v.dataset = $1
         ORDER BY (v.status = 'live') DESC, v.version DESC
         LIMIT 1`,
        [name],
      );
      const row = rows[0];
      return row ? summary(row) : null;
    },

    getVersion: (name, version) => getVersion(sql, name, version),

    async listVersions(name) {
      const rows = await sql.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.dataset = $1 ORDER BY v.version DESC`,
        [name],
      );
      return rows.map(toVersionRecord);
    },

    search: (query) => searchDatasets(sql, query),

    async retractVersion(name, version, reason) {
      if (typeof reason !== 'string' || reason.trim() === '') {
        throw invalidParameter('reason', 'a retraction needs a reason');
      }
      const updated = await sql.query(
        `UPDATE versions SET status = 'retracted', retracted_reason = $3
         WHERE dataset = $1 AND version = $2 AND status = 'live'
         RETURNING version`,
        [name, version, reason.trim()],
      );
      const record = await getVersion(sql, name, version);
      if (!record) {
        throw new ScgraphError('not-found', `dataset '${name}' has no version ${version}`, {
          field: 'version',
        });
      }
      if (updated.length === 0) {
        throw new ScgraphError(
          'conflict',
          `version ${version} of '${name}' is already retracted: ${record.retractedReason}`,
          { field: 'version' },
        );
      }
      return record;
    },

    async recordDownload(name) {
      const rows = await sql.query(
        'UPDATE datasets SET downloads = downloads + 1 WHERE name = $1 RETURNING name',
        [name],
      );
      if (rows.length === 0) {
        throw new ScgraphError('not-found', `no dataset named '${name}'`, { field: 'dataset' });
      }
    },

    async counts() {
      const rows = await sql.query<Record<'datasets' | 'versions' | 'retracted', number | string>>(
        `SELECT count(DISTINCT dataset) AS datasets, count(*) AS versions,
                count(*) FILTER (WHERE status = 'retracted') AS retracted
         FROM versions`,
      );
      const row = rows[0]!;
      return {
        datasets: Number(row.datasets),
        versions: Number(row.versions),
        retracted: Number(row.retracted),
      };
    },

    async createApiKey(keyHash, role, label) {
      if (!ROLES.includes(role)) {
        throw invalidParameter('role', `must be one of ${ROLES.join(', ')}, found '${role}'`);
      }
      try {
        const rows = await sql.query<{ id: string }>(
          'INSERT INTO api_keys (key_hash, role, label) VALUES ($1, $2, $3) RETURNING id',
          [keyHash, role, label],
        );
        return rows[0]!.id;
      } catch (error) {
        if (pgCode(error) === '23505') {
          throw new ScgraphError('conflict', 'an API key with this hash already exists', {}, error);
        }
        throw error;
      }
    },

    async findApiKey(keyHash) {
      const rows = await sql.query<{ id: string; role: Role }>(
        'SELECT id, role FROM api_keys WHERE key_hash = $1',
        [keyHash],
      );
      return rows[0] ?? null;
    },

    async listApiKeys() {
      const rows = await sql.query<{
        id: string;
        role: Role;
        label: string;
        created_at: Date | string;
      }>('SELECT id, role, label, created_at FROM api_keys ORDER BY created_at, id');
      return rows.map((row) => ({
        id: row.id,
        role: row.role,
        label: row.label,
        createdAt: new Date(row.created_at).toISOString(),
      }));
    },

    async revokeApiKey(id) {
      // Not a uuid: no key has it (and Postgres would reject the comparison).
      if (!UUID.test(id)) return false;
      const rows = await sql.query<{ id: string }>(
        'DELETE FROM api_keys WHERE id = $1 RETURNING id',
        [id],
      );
      return rows.length > 0;
    },

    async createJob(kind, params) {
      const rows = await sql.query<JobRow>(
        `INSERT INTO jobs (kind, state, params) VALUES ($1, 'queued', $2::jsonb) RETURNING *`,
        [kind, JSON.stringify(params)],
      );
      return toJob(rows[0]!);
    },

    async updateJob(id, patch) {
      const sets: string[] = ['updated_at = now()'];
      const params: unknown[] = [id];
      const set = (column: string, value: unknown, cast = '') => {
        params.push(value);
        sets.push(`${column} = $${params.length}${cast}`);
      };
      if (patch.state !== undefined) set('state', patch.state);
      if (patch.progress !== undefined) set('progress', JSON.stringify(patch.progress), '::jsonb');
      if (patch.error !== undefined) set('error', patch.error);
      if (patch.result !== undefined) {
        set('result', patch.result === null ? null : JSON.stringify(patch.result), '::jsonb');
      }
      const rows = await sql.query<JobRow>(
        `UPDATE jobs SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
      );
      if (!rows[0]) throw new ScgraphError('not-found', `no job '${id}'`, { field: 'job' });
      return toJob(rows[0]);
    },

    async getJob(id) {
      if (!UUID.test(id)) return null; // anything else would be a cast error, not a miss
      const rows = await sql.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
      return rows[0] ? toJob(rows[0]) : null;
    },

    async markUnfinishedRetryable() {
      const rows = await sql.query(
        `UPDATE jobs SET state = 'retryable', updated_at = now()
         WHERE state IN ('queued', 'running') RETURNING id`,
      );
      return rows.length;
    },

    async ping() {
      await sql.query('SELECT 1');
    },
    close: () => sql.close(),
  };
}

async function getVersion(sql: Sql, name: string, version: number): Promise<VersionRecord | null> {
  const rows = await sql.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.dataset = $1 AND v.version = $2`,
    [name, version],
  );
  return rows[0] ? toVersionRecord(rows[0]) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One transaction: lock the dataset row, take max(version)+1, insert the
 * version and its files. Any failing insert rolls back all of it, including
 * a dataset row created for the first version.
 */
async function publishVersion(sql: Sql, input: VersionInput): Promise<VersionRecord> {
  if (typeof input.dataset !== 'string' || !DATASET_NAME.test(input.dataset)) {
    throw invalidParameter(
      'dataset',
      `must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit; found '${input.dataset}'`,
    );
  }
  const derived = derivedColumns(input);
  try {
    return await sql.transaction(async (tx) => {
      await tx.query('INSERT INTO datasets (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [
        input.dataset,
      ]);
      await tx.query('SELECT name FROM datasets WHERE name = $1 FOR UPDATE', [input.dataset]);
      const next = await tx.query<{ version: number | string }>(
        'SELECT coalesce(max(version), 0) + 1 AS version FROM versions WHERE dataset = $1',
        [input.dataset],
      );
      const version = Number(next[0]!.version);
      await tx.query(
        `INSERT INTO versions (
           dataset, version, title, description, organism, tissue, modality, n_cells, n_genes,
           n_edges, mean_degree, n_classes, homophily, graph_kind, split_kind, tasks, labels,
           graph_params, graph_stats, license, citation, doi, source_sha256, manifest, label_terms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb,
           $17::jsonb, $18::jsonb, $19::jsonb, $20, $21, $22, $23, $24::jsonb, $25)`,
        [
          input.dataset,
          version,
          input.title,
          input.description,
          input.organism,
          input.tissue,
          input.modality,
          input.nCells,
          input.nGenes,
          derived.nEdges,
          derived.meanDegree,
          derived.nClasses,
          derived.homophily,
          input.graphKind,
          input.splitKind,
          JSON.stringify(input.tasks),
          JSON.stringify(input.labels),
          JSON.stringify(input.graphParams),
          JSON.stringify(input.graphStats),
          input.license,
          input.citation,
          input.doi,
          input.sourceSha256,
          JSON.stringify(input.manifest),
          derived.labelTerms,
        ],
      );
      for (const file of input.files) {
        await tx.query(
          `INSERT INTO files (dataset, version, name, format, bytes, sha256, storage_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            input.dataset,
            version,
            file.name,
            file.format,
            file.bytes,
            file.sha256,
            file.storageKey,
          ],
        );
      }
      const rows = await tx.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.dataset = $1 AND v.version = $2`,
        [input.dataset, version],
      );
      return toVersionRecord(rows[0]!);
    });
  } catch (error) {
    throw publishError(error);
  }
}

/** Turns constraint violations into errors that name the field; the transaction is already undone. */
function publishError(error: unknown): unknown {
  const code = pgCode(error);
  const constraint = (error as { constraint?: string }).constraint ?? '';
  const detail = (error as Error).message;
  if (code === '23505' && constraint.startsWith('files')) {
    return new ScgraphError(
      'conflict',
      `two files share one name: ${detail}`,
      { field: 'files' },
      error,
    );
  }
  if (code === '23514' || code === '23502') {
    const field = constraint.startsWith('files') ? 'files' : (error as { column?: string }).column;
    return new ScgraphError(
      'invalid-parameter',
      `rejected by the catalog: ${detail}`,
      { field },
      error,
    );
  }
  return error;
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

function summary(row: VersionRow & { downloads: number | string }): DatasetSummary {
  return { name: row.dataset, latest: toVersionRecord(row), downloads: Number(row.downloads) };
}

interface JobRow {
  id: string;
  kind: string;
  state: JobRecord['state'];
  params: Record<string, unknown>;
  progress: JobRecord['progress'];
  error: string | null;
  result: Record<string, unknown> | null;
  created_at: Date | string;
  updated_at: Date | string;
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    params: row.params,
    progress: row.progress,
    error: row.error,
    result: row.result,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
