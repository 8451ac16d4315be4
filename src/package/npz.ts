import { type ZipOptions, type Zippable, zip } from 'fflate';
import { checkDataset } from './check-dataset.ts';
import { type EdgeList, primaryEdgeList } from './edge-list.ts';
import { encodeNpy } from './npy.ts';
import type { GraphDataset } from './types.ts';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from './types.ts';

/**
 * A fixed member time so the archive bytes do not depend on when it was made.
 * fflate reads the date with local-time getters, so a date built from local
 * fields gives 1980-01-01 00:00 (the DOS epoch) in every time zone.
 */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * The PyTorch Geometric view of a dataset as `.npz` bytes:
 * `x` float32 [N, d] (the features), `edge_index` int64 [2, E] and
 * `edge_weight` float32 [E] from the primary graph (both directions, no self
 * loops, sorted by source then target), `y` int64 [N] (-1 unlabeled),
 * `train_mask`/`val_mask`/`test_mask` bool [N], `label_names` and `cell_ids`
 * as unicode arrays (so `numpy.load` needs no pickle), and `pos` float32 [N, 2]
 * when the dataset is spatial. The float32 members (x, edge_weight, pos) are
 * stored, edge_index is deflated at level 1 and the small members at level 6.
 *
 * `edges` is the primary graph's edge list when the caller already has it.
 *
 * The members are laid out here; fflate deflates them on worker threads, so the
 * caller can write dataset.h5ad meanwhile (same bytes as its synchronous zip).
 *
 * Example (Python): `g = np.load('graph.npz'); Data(x=torch.from_numpy(g['x']), ...)`.
 */
export function writeNpz(dataset: GraphDataset, edges?: EdgeList): Promise<Uint8Array> {
  checkDataset(dataset);
  return zipCheckedNpz(dataset, edges);
}

/** writeNpz for a dataset the caller has already passed through `checkDataset`. */
export function zipCheckedNpz(dataset: GraphDataset, edges?: EdgeList): Promise<Uint8Array> {
  const n = dataset.X.nRows;
  edges ??= primaryEdgeList(dataset);
  const e = edges.source.length;

  // int64 values written as (low, high) int32 word pairs: BigInt per value costs ~10× more.
  const edgeIndex = new BigInt64Array(2 * e);
  const edgeWords = new Int32Array(edgeIndex.buffer);
  for (let k = 0; k < e; k++) {
    edgeWords[2 * k] = edges.source[k];
    edgeWords[2 * (e + k)] = edges.target[k];
  }
  const y = new BigInt64Array(n).fill(-1n);
  const codes = dataset.labels?.codes ?? [];
  for (let i = 0; i < codes.length; i++) y[i] = BigInt(codes[i]);

  const { nCols: d } = dataset.features;
  const members: Zippable = {
    'x.npy': stored(encodeNpy(asFloat32(dataset.features.data), [n, d], '<f4')),
    'edge_index.npy': [encodeNpy(edgeIndex, [2, e], '<i8'), { level: 1 }],
    'edge_weight.npy': stored(encodeNpy(edges.weight, [e], '<f4')),
    'y.npy': encodeNpy(y, [n], '<i8'),
    'train_mask.npy': encodeNpy(splitMask(dataset, SPLIT_TRAIN), [n], '|b1'),
    'val_mask.npy': encodeNpy(splitMask(dataset, SPLIT_VAL), [n], '|b1'),
    'test_mask.npy': encodeNpy(splitMask(dataset, SPLIT_TEST), [n], '|b1'),
    'label_names.npy': encodeNpy(
      dataset.labels?.names ?? [],
      [dataset.labels?.names.length ?? 0],
      '<U',
    ),
    'cell_ids.npy': encodeNpy(dataset.cellIds, [n], '<U'),
  };
  if (dataset.spatial) {
    members['pos.npy'] = stored(encodeNpy(asFloat32(dataset.spatial.data), [n, 2], '<f4'));
  }
  return new Promise((resolve, reject) => {
    zip(members, { level: 6, mtime: ZIP_MTIME }, (error, bytes) =>
      error ? reject(error) : resolve(bytes),
    );
  });
}

/**
 * A member kept uncompressed: float32 features and weights deflate by only
 * 7-13% (50k cells: x 10.0 -> 9.3 MB) for about a second of fflate time.
 */
function stored(bytes: Uint8Array): [Uint8Array, ZipOptions] {
  return [bytes, { level: 0 }];
}

/** The values as float32, without a copy when they are already (`Float32Array.from` iterates). */
function asFloat32(values: ArrayLike<number>): Float32Array {
  if (values instanceof Float32Array) return values;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

function splitMask(dataset: GraphDataset, part: number): Uint8Array {
  const mask = new Uint8Array(dataset.X.nRows);
  const assignment = dataset.split?.assignment ?? [];
  for (let i = 0; i < assignment.length; i++) mask[i] = assignment[i] === part ? 1 : 0;
  return mask;
}
