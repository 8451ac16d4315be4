#!/usr/bin/python3
"""Hand check that graph.npz feeds a GNN as is: loads it with numpy, moves it
to torch, and trains a 2-layer GCN (Kipf & Welling normalisation, written
with torch.sparse since PyTorch Geometric is not packaged in Debian) on
train_mask, against an MLP on the same features without edges. Prints test
accuracy of both as JSON. Needs Debian's python3-torch; not part of npm test.

Usage: scripts/check-torch-gcn.py PACKAGE_DIR [--epochs 200] [--seed 0]
"""
import argparse
import json

import numpy as np
import torch


def normalized_adjacency(edge_index, edge_weight, n):
    loops = torch.arange(n)
    rows = torch.cat([edge_index[0], loops])
    cols = torch.cat([edge_index[1], loops])
    vals = torch.cat([edge_weight, torch.ones(n)])
    deg = torch.zeros(n).index_add_(0, rows, vals)
    inv = deg.pow(-0.5)
    vals = inv[rows] * vals * inv[cols]
    return torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, n)).coalesce()


def train(model_fn, x, y, masks, epochs, seed):
    torch.manual_seed(seed)
    model = model_fn()
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    best_val, test_at_best = -1.0, 0.0
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        out = model(x)
        loss = torch.nn.functional.cross_entropy(out[masks["train"]], y[masks["train"]])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(x).argmax(1)
        acc = {k: float((pred[m] == y[m]).float().mean()) for k, m in masks.items()}
        if acc["val"] > best_val:
            best_val, test_at_best = acc["val"], acc["test"]
    return test_at_best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    z = np.load(f"{args.package}/graph.npz")  # no allow_pickle: must load as is
    x = torch.from_numpy(z["x"])
    y = torch.from_numpy(z["y"])
    ei = torch.from_numpy(z["edge_index"])
    ew = torch.from_numpy(z["edge_weight"])
    n, d = x.shape
    masks = {k: torch.from_numpy(z[f"{k}_mask"]) & (y >= 0) for k in ("train", "val", "test")}
    classes = int(y.max()) + 1
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    adj = normalized_adjacency(ei, ew, n)

    class GCN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = torch.nn.Linear(d, 64)
            self.l2 = torch.nn.Linear(64, classes)

        def forward(self, h):
            h = torch.relu(torch.sparse.mm(adj, self.l1(h)))
            h = torch.nn.functional.dropout(h, 0.5, self.training)
            return torch.sparse.mm(adj, self.l2(h))

    class MLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = torch.nn.Linear(d, 64)
            self.l2 = torch.nn.Linear(64, classes)

        def forward(self, h):
            h = torch.nn.functional.dropout(torch.relu(self.l1(h)), 0.5, self.training)
            return self.l2(h)

    majority = float((y[masks["test"]] == torch.bincount(y[masks["train"]]).argmax()).float().mean())
    print(json.dumps({
        "package": args.package, "nodes": n, "edges": int(ei.shape[1]), "features": d,
        "classes": classes, "label_names": [str(s) for s in z["label_names"]],
        "test_accuracy": {
            "gcn": round(train(GCN, x, y, masks, args.epochs, args.seed), 3),
            "mlp": round(train(MLP, x, y, masks, args.epochs, args.seed), 3),
            "majority_class": round(majority, 3),
        },
    }))


if __name__ == "__main__":
    main()
