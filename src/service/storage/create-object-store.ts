import type { ServiceConfig } from '../config.ts';
import type { ObjectStore } from '../contracts.ts';
import { createLocalObjectStore } from './local-object-store.ts';
import { createS3ObjectStore } from './s3-object-store.ts';

/** The object store for `config.storage`: a local folder (default DATA_DIR/objects) or an S3 bucket. */
export async function createObjectStore(
  config: Pick<ServiceConfig, 'storage'>,
): Promise<ObjectStore> {
  return config.storage.kind === 's3'
    ? createS3ObjectStore(config.storage)
    : createLocalObjectStore(config.storage.root);
}
