#!/usr/bin/python3
"""Streams ../shared/bench/make_synth.py's data to disk chunk by chunk.

make_synth.py holds every chunk and then a concatenated copy in memory, about
26 GB at 1M cells, more than these 24 GiB machines have. This script uses its
model (build_model) and sampling kernel (_sample_chunk) with the same per-chunk
seeds, so X, obs and var hold the same values, and appends each chunk to
resizable HDF5 datasets instead. Memory stays near one chunk.

Differences from make_synth.py's file: X's arrays are chunked (uncompressed)
rather than contiguous, and indptr is always int64.

Usage: make-synth-stream.py --n-cells 1000000 [--out PATH] [--seed 0]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "bench"))

import make_synth  # noqa: E402
import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-cells", type=int, required=True)
    ap.add_argument("--n-genes", type=int, default=20000)
    ap.add_argument("--n-clusters", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = args.out or f"/tmp/scbench/synth_{args.n_cells}.h5ad"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".partial"

    import anndata as ad
    import h5py
    import pandas as pd

    n_cells, n_genes, chunk = args.n_cells, args.n_genes, args.chunk
    P, r, clus, lib = make_synth.build_model(n_cells, n_genes, args.n_clusters, args.seed)

    obs = pd.DataFrame(
        {"cluster": pd.Categorical([f"c{k}" for k in clus]), "size_factor_true": lib.astype(np.float32)},
        index=[f"cell{i}" for i in range(n_cells)],
    )
    var = pd.DataFrame(index=[f"gene{i}" for i in range(n_genes)])
    adata = ad.AnnData(obs=obs, var=var)
    adata.uns["synthetic"] = {"seed": args.seed, "model": "NB clustered, see make_synth.py"}
    adata.write_h5ad(tmp)
    del adata, obs

    t0 = time.perf_counter()
    out_idx = np.empty((chunk, n_genes), dtype=np.int32)
    out_val = np.empty((chunk, n_genes), dtype=np.float32)
    out_cnt = np.empty(chunk, dtype=np.int64)
    indptr = np.zeros(n_cells + 1, dtype=np.int64)
    with h5py.File(tmp, "a") as f:
        g = f.create_group("X")
        g.attrs["encoding-type"] = "csr_matrix"
        g.attrs["encoding-version"] = "0.1.0"
        g.attrs["shape"] = np.array([n_cells, n_genes], dtype=np.int64)
        block = 1 << 22
        data = g.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(block,))
        indices = g.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(block,))
        nnz = 0
        for ci, start in enumerate(range(0, n_cells, chunk)):
            stop = min(start + chunk, n_cells)
            m = stop - start
            rng = np.random.default_rng(np.random.SeedSequence([args.seed, ci]))
            U = rng.random((m, n_genes))
            make_synth._sample_chunk(lib[start:stop], clus[start:stop], P, r, U,
                                     out_idx[:m], out_val[:m], out_cnt[:m])
            cnt = out_cnt[:m]
            mask = np.arange(n_genes)[None, :] < cnt[:, None]
            idx = out_idx[:m][mask]
            val = out_val[:m][mask]
            data.resize((nnz + idx.size,))
            indices.resize((nnz + idx.size,))
            data[nnz:] = val
            indices[nnz:] = idx
            nnz += idx.size
            indptr[start + 1:stop + 1] = cnt
            if ci % 20 == 0:
                print(f"  chunk {ci}: {stop}/{n_cells} cells, {time.perf_counter() - t0:.1f}s",
                      file=sys.stderr, flush=True)
        np.cumsum(indptr, out=indptr)
        g.create_dataset("indptr", data=indptr)
    os.replace(tmp, out)
    print(f"wrote {out}: {n_cells} x {n_genes}, nnz={nnz} ({100 * nnz / (n_cells * n_genes):.2f}% nonzero), "
          f"gen+write {time.perf_counter() - t0:.1f}s, file {os.path.getsize(out) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
