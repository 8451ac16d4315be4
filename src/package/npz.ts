import { zipSync } from 'fflate';
import { checkDataset } from './check-dataset.ts';
import { edgeListFromAdjacency } from './edge-list.ts';
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
 * when the dataset is spatial. Members are deflated at level 6.
 *
 * Example (Python): `g = np.load('graph.npz'); Data(x=torch.from_numpy(g['x']), ...)`.
 */
export function writeNpz(dataset: GraphDataset): Uint8Array {
  checkDataset(dataset);
  const n = dataset.X.nRows;
  const graph = dataset.primaryGraph === 'spatial' ? dataset.spatialGraph! : dataset.graph!;
  const edges = edgeListFromAdjacency(graph.connectivities);
  const e = edges.source.length;

  const edgeIndex = new BigInt64Array(2 * e);
  for (let k = 0; k < e; k++) {
    edgeIndex[k] = BigInt(edges.source[k]);
    edgeIndex[e + k] = BigInt(edges.target[k]);
  }
  const y = new BigInt64Array(n).fill(-1n);
  const codes = dataset.labels?.codes ?? [];
  for (let i = 0; i < codes.length; i++) y[i] = BigInt(codes[i]);

  const { nCols: d } = dataset.features;
  const members: Record<string, Uint8Array> = {
    'x.npy': encodeNpy(Float32Array.from(dataset.features.data), [n, d], '<f4'),
    'edge_index.npy': encodeNpy(edgeIndex, [2, e], '<i8'),
    'edge_weight.npy': encodeNpy(edges.weight, [e], '<f4'),
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
    members['pos.npy'] = encodeNpy(Float32Array.from(dataset.spatial.data), [n, 2], '<f4');
  }
  return zipSync(members, { level: 6, mtime: ZIP_MTIME });
}

function splitMask(dataset: GraphDataset, part: number): Uint8Array {
  const mask = new Uint8Array(dataset.X.nRows);
  const assignment = dataset.split?.assignment ?? [];
  for (let i = 0; i < assignment.length; i++) mask[i] = assignment[i] === part ? 1 : 0;
  return mask;
}
