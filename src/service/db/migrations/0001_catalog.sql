-- Datasets, their immutable versions and files, API keys and build jobs.

CREATE TABLE datasets (
  name text PRIMARY KEY,
  downloads bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE versions (
  dataset text NOT NULL REFERENCES datasets (name),
  version integer NOT NULL CHECK (version > 0),
  title text NOT NULL,
  description text NOT NULL,
  organism text NOT NULL,
  tissue text NOT NULL,
  modality text NOT NULL,
  n_cells integer NOT NULL CHECK (n_cells >= 0),
  n_genes integer NOT NULL CHECK (n_genes >= 0),
  -- Copied out of graph_stats / labels so facets and ranges are plain column scans.
  n_edges bigint,
  mean_degree double precision,
  n_classes integer,
  homophily double precision,
  graph_kind text NOT NULL,
  split_kind text,
  tasks jsonb NOT NULL DEFAULT '[]',
  labels jsonb NOT NULL DEFAULT '[]',
  graph_params jsonb NOT NULL DEFAULT '{}',
  graph_stats jsonb NOT NULL DEFAULT '{}',
  license text NOT NULL,
  citation text NOT NULL,
  doi text,
  source_sha256 text NOT NULL,
  manifest jsonb NOT NULL DEFAULT '{}',
  -- Label column and class names as words; a generated column cannot walk jsonb.
  label_terms text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'retracted')),
  retracted_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', dataset), 'A')
    || setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', organism || ' ' || tissue || ' ' || modality), 'B')
    || setweight(to_tsvector('english', label_terms), 'C')
    || setweight(to_tsvector('english', description), 'D')
  ) STORED,
  PRIMARY KEY (dataset, version),
  CONSTRAINT versions_reason_only_when_retracted CHECK (status = 'retracted' OR retracted_reason IS NULL)
);

CREATE INDEX versions_search_idx ON versions USING gin (search);
CREATE INDEX versions_live_idx ON versions (dataset, version DESC) WHERE status = 'live';

CREATE TABLE files (
  dataset text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  format text NOT NULL,
  bytes bigint NOT NULL CONSTRAINT files_bytes_non_negative CHECK (bytes >= 0),
  sha256 text NOT NULL CONSTRAINT files_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text NOT NULL,
  PRIMARY KEY (dataset, version, name),
  FOREIGN KEY (dataset, version) REFERENCES versions (dataset, version)
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key_hash text NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('reader', 'curator', 'admin')),
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'retryable')),
  params jsonb NOT NULL DEFAULT '{}',
  progress jsonb NOT NULL DEFAULT '[]',
  error text,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX jobs_unfinished_idx ON jobs (state) WHERE state IN ('queued', 'running');
