import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphStats } from '../../src/graph/stats.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { loadFixture } from './fixture.ts';

interface StatsFixture {
  n: number;
  indptr: number[];
  indices: number[];
  labels: number[];
  expected: {
    nodes: number;
    edges: number;
    components: number;
    isolated: number;
    mean_degree: number;
    median_degree: number;
    homophily: number;
    homophily_per_class: Record<string, number>;
  };
}

const fx = loadFixture<StatsFixture>('stats');
const adj: CsrMatrix = {
  nRows: fx.n,
  nCols: fx.n,
  indptr: Float64Array.from(fx.indptr),
  indices: Int32Array.from(fx.indices),
  data: new Float32Array(fx.indices.length).fill(1),
};

describe('graphStats', () => {
  it('matches scipy connected_components and degrees on a labelled graph with a self-loop', () => {
    const s = graphStats(adj, { codes: Int32Array.from(fx.labels) });
    const want = fx.expected;
    assert.equal(s.nodes, want.nodes);
    assert.equal(s.edges, want.edges);
    assert.equal(s.components, want.components);
    assert.equal(s.isolated, want.isolated);
    assert.ok(Math.abs(s.meanDegree - want.mean_degree) < 1e-12);
    assert.equal(s.medianDegree, want.median_degree);
    assert.ok(Math.abs((s.homophily ?? -1) - want.homophily) < 1e-12);
    for (const [c, h] of Object.entries(want.homophily_per_class)) {
      assert.ok(Math.abs((s.homophilyPerClass[c] ?? -1) - h) < 1e-12, `class ${c}`);
    }
  });

  it('counts a pair stored in one direction only once, and names classes', () => {
    // 0→1 only, 1↔2 both ways, 3 alone.
    const directed: CsrMatrix = {
      nRows: 4,
      nCols: 4,
      indptr: Float64Array.from([0, 1, 2, 3, 3]),
      indices: Int32Array.from([1, 2, 1]),
      data: Float32Array.from([1, 1, 1]),
    };
    const s = graphStats(directed, { codes: Int32Array.from([0, 0, 1, -1]), names: ['a', 'b'] });
    assert.equal(s.edges, 2);
    assert.equal(s.components, 2);
    assert.equal(s.isolated, 1);
    assert.equal(s.medianDegree, 1);
    assert.equal(s.homophily, 0.5);
    assert.deepEqual(s.homophilyPerClass, { a: 0.5, b: 0 });
  });

  it('reports no homophily without labels', () => {
    const s = graphStats(adj);
    assert.equal(s.homophily, null);
    assert.deepEqual(s.homophilyPerClass, {});
  });
});
