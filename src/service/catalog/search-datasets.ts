/**
 * Catalog search over the newest live version of each dataset: Postgres
 * full-text search ranked with ts_rank, any-of facet filters, numeric
 * ranges, facet counts, and keyset (cursor) pagination.
 *
 * Facet counts follow the usual faceted-search rule: the counts for one facet
 * apply every other filter but not that facet's own, so a user who picked
 * organism=human still sees how many mouse datasets there are. With no filter
 * on a single-valued facet its counts add up to `total`.
 */
import { invalidParameter } from '../../errors.ts';
import type { DatasetSummary, SearchQuery, SearchResult, Sql } from '../contracts.ts';
import { toVersionRecord, VERSION_COLUMNS, type VersionRow } from './version-row.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

type Sort = NonNullable<SearchQuery['sort']>;
type Order = 'asc' | 'desc';

/** Facet name (as in SearchQuery and SearchResult.facets) -> the column it counts. */
const FACETS = {
  organism: 'organism',
  tissue: 'tissue',
  modality: 'modality',
  task: null, // multi-valued: counted over jsonb_array_elements_text(tasks)
  graphKind: 'graph_kind',
  splitKind: 'split_kind',
} as const;
type Facet = keyof typeof FACETS;
const FACET_NAMES = Object.keys(FACETS) as Facet[];

const RANGES = [
  ['minCells', 'maxCells', 'n_cells'],
  ['minEdges', 'maxEdges', 'n_edges'],
  ['minMeanDegree', 'maxMeanDegree', 'mean_degree'],
  ['minClasses', 'maxClasses', 'n_classes'],
  ['minHomophily', 'maxHomophily', 'homophily'],
] as const;

/** Sort key expression over `base` and the type its cursor text casts back to. */
const SORT_KEYS: Record<Exclude<Sort, 'name'>, { expr: string; type: string }> = {
  relevance: { expr: 'rank', type: 'real' },
  cells: { expr: 'n_cells', type: 'integer' },
  edges: { expr: 'coalesce(n_edges, 0)', type: 'bigint' },
  created: { expr: 'created_at', type: 'timestamptz' },
  // Download counts move, so a downloads cursor can skip or repeat a dataset whose count changed.
  downloads: { expr: 'downloads', type: 'bigint' },
};

interface Cursor {
  sort: Sort;
  order: Order;
  key: string | null;
  name: string;
}

/** Runs one search: a page query and one query for every facet count and the total. */
export async function searchDatasets(sql: Sql, query: SearchQuery): Promise<SearchResult> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalidParameter('limit', `must be an integer from 1 to ${MAX_LIMIT}, found ${limit}`);
  }
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };

  const text = textQuery(query.q);
  const sort: Sort =
    query.sort === 'relevance' && !text ? 'name' : (query.sort ?? (text ? 'relevance' : 'name'));
  const order: Order = query.order ?? (sort === 'name' ? 'asc' : 'desc');
  if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
    throw invalidParameter('order', `must be 'asc' or 'desc', found '${query.order}'`);
  }
  if (sort !== 'name' && !(sort in SORT_KEYS)) {
    throw invalidParameter(
      'sort',
      `must be one of name, ${Object.keys(SORT_KEYS).join(', ')}; found '${sort}'`,
    );
  }

  const tsquery = text
    ? text.prefix
      ? `(websearch_to_tsquery('english', ${bind(text.web)}) || to_tsquery('english', ${bind(text.prefix)}))`
      : `websearch_to_tsquery('english', ${bind(text.web)})`
    : null;

  const where: string[] = ['true'];
  if (tsquery) where.push(`v.search @@ ${tsquery}`);
  for (const [minName, maxName, column] of RANGES) {
    for (const [name, op] of [
      [minName, '>='],
      [maxName, '<='],
    ] as const) {
      const value = query[name];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw invalidParameter(name, `must be a finite number, found ${String(value)}`);
      }
      where.push(`v.${column} ${op} ${bind(value)}`);
    }
  }

  const matches = FACET_NAMES.map((facet) => {
    const values = query[facet];
    if (values === undefined || values.length === 0) return `true AS f_${facet}`;
    if (!Array.isArray(values) || values.some((value) => typeof value !== 'string')) {
      throw invalidParameter(facet, 'must be a list of strings');
    }
    const list = bind(values);
    const column = FACETS[facet];
    return column === null
      ? `v.tasks ?| ${list}::text[] AS f_${facet}`
      : `v.${column} = ANY(${list}::text[]) AS f_${facet}`;
  });

  const base = `
    WITH live AS (
      SELECT DISTINCT ON (dataset) * FROM versions
      WHERE status = 'live' ORDER BY dataset, version DESC
    ), base AS (
      SELECT v.*, d.downloads, ${tsquery ? `ts_rank(v.search, ${tsquery})` : '0::real'} AS rank,
             ${matches.join(', ')}
      FROM live v JOIN datasets d ON d.name = v.dataset
      WHERE ${where.join(' AND ')}
    )`;
  const allMatch = FACET_NAMES.map((facet) => `f_${facet}`).join(' AND ');

  const facetParts = FACET_NAMES.map((facet) => {
    const others = FACET_NAMES.filter((other) => other !== facet).map((other) => `f_${other}`);
    const column = FACETS[facet];
    const value = column ?? 'task.value';
    const from = column
      ? 'base'
      : 'base CROSS JOIN jsonb_array_elements_text(base.tasks) AS task(value)';
    return `SELECT '${facet}' AS facet, ${value} AS value, count(*) AS n FROM ${from}
            WHERE ${others.join(' AND ')} AND ${value} IS NOT NULL GROUP BY ${value}`;
  });
  facetParts.push(`SELECT '' AS facet, NULL AS value, count(*) AS n FROM base WHERE ${allMatch}`);
  const facetSql = `${base} ${facetParts.join(' UNION ALL ')}`;
  const facetParams = [...params];

  // Keyset pagination: the page starts strictly after the cursor's (sort key, name).
  const cursor = query.cursor ? decodeCursor(query.cursor, sort, order) : null;
  const key = sort === 'name' ? null : SORT_KEYS[sort];
  const comparison = order === 'asc' ? '>' : '<';
  const after = !cursor
    ? 'true'
    : key
      ? `(${key.expr}, dataset) ${comparison} (${bind(cursor.key)}::${key.type}, ${bind(cursor.name)})`
      : `dataset ${comparison} ${bind(cursor.name)}`;
  const orderBy = key ? `${key.expr} ${order}, dataset ${order}` : `dataset ${order}`;
  const pageSql = `${base}
    SELECT ${VERSION_COLUMNS}, v.downloads, ${key ? `(${key.expr})::text` : 'NULL'} AS sort_key
    FROM base v
    WHERE ${allMatch} AND ${after}
    ORDER BY ${orderBy}
    LIMIT ${limit + 1}`;

  const [rows, facetRows] = await Promise.all([
    sql.query<VersionRow & { downloads: number | string; sort_key: string | null }>(
      pageSql,
      params,
    ),
    sql.query<{ facet: string; value: string | null; n: number | string }>(facetSql, facetParams),
  ]);

  const page = rows.slice(0, limit);
  const items: DatasetSummary[] = page.map((row) => ({
    name: row.dataset,
    latest: toVersionRecord(row),
    downloads: Number(row.downloads),
  }));
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > limit && last
      ? encodeCursor({ sort, order, key: last.sort_key, name: last.dataset })
      : null;

  const facets: Record<string, Record<string, number>> = Object.fromEntries(
    FACET_NAMES.map((facet) => [facet, {}]),
  );
  let total = 0;
  for (const row of facetRows) {
    if (row.facet === '') total = Number(row.n);
    else facets[row.facet]![row.value!] = Number(row.n);
  }
  return { items, nextCursor, total, facets };
}

/**
 * The two tsquery inputs for `q`: websearch syntax as typed, plus an AND of
 * word prefixes so a partial word ('musc') still matches ('muscle'). The
 * prefix form is left out when `q` uses websearch operators (quotes, OR, -),
 * since OR-ing it in would undo an exclusion.
 */
function textQuery(q: string | undefined): { web: string; prefix: string | null } | null {
  const trimmed = q?.trim();
  if (!trimmed) return null;
  const words = trimmed.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return null;
  const operators = /["]|(^|\s)-|\sor\s/i.test(trimmed);
  return {
    web: trimmed,
    prefix: operators ? null : words.map((word) => `${word.toLowerCase()}:*`).join(' & '),
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.order, cursor.key, cursor.name])).toString(
    'base64url',
  );
}

function decodeCursor(text: string, sort: Sort, order: Order): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidParameter('cursor', 'is not a cursor returned by this search');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    typeof parsed[3] !== 'string' ||
    (parsed[2] !== null && typeof parsed[2] !== 'string')
  ) {
    throw invalidParameter('cursor', 'is not a cursor returned by this search');
  }
  if (parsed[0] !== sort || parsed[1] !== order || (sort !== 'name') !== (parsed[2] !== null)) {
    throw invalidParameter(
      'cursor',
      `was made for sort=${parsed[0]}&order=${parsed[1]}; repeat the search with the same sort and order`,
    );
  }
  return { sort, order, key: parsed[2], name: parsed[3] };
}
