/**
 * The Prometheus series the operations runbook names. Each app owns its own
 * Registry, so two apps in one process (tests, blue/green) never share or
 * double-register series.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'endpoint' | 'status'>;
  readonly requestDuration: Histogram<'method' | 'endpoint'>;
  readonly downloads: Counter<'dataset'>;
  readonly processing: Histogram<'outcome'>;
  readonly cacheHits: Counter<'cache'>;
  readonly cacheMisses: Counter<'cache'>;
  readonly dbQueryDuration: Histogram<never>;
  readonly dbConnections: Gauge<never>;
  /** Feeds scgraph_db_query_duration_seconds; pass it as openSql's `onQuery`. */
  onQuery(durationSeconds: number): void;
  /** Where scgraph_db_connections_active reads from at scrape time. */
  watchConnections(source: () => number): void;
}

/** Creates a fresh registry with the hub's series and Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let connections: () => number = () => 0;

  const dbQueryDuration = new Histogram({
    name: 'scgraph_db_query_duration_seconds',
    help: 'Duration of catalog database statements',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });

  return {
    registry,
    requests: new Counter({
      name: 'scgraph_api_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'endpoint', 'status'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'scgraph_api_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'endpoint'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    downloads: new Counter({
      name: 'scgraph_dataset_downloads_total',
      help: 'Complete file downloads per dataset',
      labelNames: ['dataset'],
      registers: [registry],
    }),
    processing: new Histogram({
      name: 'scgraph_dataset_processing_seconds',
      help: 'Duration of dataset build jobs, by outcome',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
      registers: [registry],
    }),
    cacheHits: new Counter({
      name: 'scgraph_cache_hits_total',
      help: 'Response cache hits',
      labelNames: ['cache'],
      registers: [registry],
    }),
    cacheMisses: new Counter({
      name: 'scgraph_cache_misses_total',
      help: 'Response cache misses',
      labelNames: ['cache'],
      registers: [registry],
    }),
    dbQueryDuration,
    dbConnections: new Gauge({
      name: 'scgraph_db_connections_active',
      help: 'Open catalog database connections',
      registers: [registry],
      collect() {
        this.set(connections());
      },
    }),
    onQuery(durationSeconds) {
      dbQueryDuration.observe(durationSeconds);
    },
    watchConnections(source) {
      connections = source;
    },
  };
}
