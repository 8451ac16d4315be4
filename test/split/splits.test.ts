import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelsFromColumn } from '../../src/build/labels.ts';
import { naturalCompare } from '../../src/read/column-from-strings.ts';
import {
  groupSplit,
  largestRemainder,
  orderedSplit,
  stratifiedSplit,
} from '../../src/split/splits.ts';

/** codes with `sizes[c]` cells of class c, interleaved, then `unlabelled` cells of -1. */
function makeCodes(sizes: number[], unlabelled: number): Int32Array {
  const out: number[] = [];
  const left = [...sizes];
  while (left.some((s) => s > 0)) {
    left.forEach((s, c) => {
      if (s > 0) {
        out.push(c);
        left[c]--;
      }
    });
  }
  for (let u = 0; u < unlabelled; u++) out.splice(u * 3, 0, -1);
  return Int32Array.from(out);
}

describe('largestRemainder', () => {
  it('floors the quotas and hands the rest out by remainder, ties to the earlier part', () => {
    assert.deepEqual(largestRemainder(10, [0.6, 0.2, 0.2]), [6, 2, 2]);
    assert.deepEqual(largestRemainder(7, [0.6, 0.2, 0.2]), [4, 2, 1]); // 4.2 1.4 1.4
    assert.deepEqual(largestRemainder(3, [0.6, 0.2, 0.2]), [2, 1, 0]); // 1.8 .6 .6
    assert.deepEqual(largestRemainder(9, [0.5, 0.25, 0.25]), [5, 2, 2]); // 4.5 2.25 2.25
    assert.deepEqual(largestRemainder(10, [0.7, 0.1, 0.2]), [7, 1, 2]);
  });
});

describe('stratifiedSplit', () => {
  const names = ['A', 'B', 'C', 'D', 'E'];
  const codes = makeCodes([10, 7, 3, 2, 1], 4);

  it('gives each class its largest-remainder share and leaves unlabelled cells out', () => {
    const { assignment, report } = stratifiedSplit(codes, { seed: 1, names });
    assert.deepEqual(report.perClass, {
      A: { train: 6, val: 2, test: 2 },
      B: { train: 4, val: 2, test: 1 },
      C: { train: 2, val: 1, test: 0 },
      D: { train: 1, val: 0, test: 1 },
      E: { train: 1, val: 0, test: 0 },
    });
    assert.deepEqual(report.counts, { train: 14, val: 5, test: 4, none: 4 });
    codes.forEach((c, i) => {
      assert.equal(assignment[i] === -1, c === -1);
    });
  });

  it('names classes too small for every part in its warnings', () => {
    const { report } = stratifiedSplit(codes, { seed: 1, names });
    assert.ok(
      report.warnings.some((w) => w.includes("'D' has 2 cell(s)") && w.includes('train and test')),
    );
    assert.ok(report.warnings.some((w) => w.includes("'E' has 1 cell(s)") && w.includes('train')));
    assert.ok(report.warnings.some((w) => w === "class 'C' has no cells in test"));
    assert.ok(!report.warnings.some((w) => w.includes("'A'") || w.includes("'B'")));
  });

  it('is the same for the same seed and differs for another', () => {
    const a = stratifiedSplit(codes, { seed: 3 }).assignment;
    assert.deepEqual(stratifiedSplit(codes, { seed: 3 }).assignment, a);
    assert.notDeepEqual(stratifiedSplit(codes, { seed: 4 }).assignment, a);
  });

  it('respects zero fractions', () => {
    // Two parts, two cells: not rare; quotas 1.6 / 0 / 0.4 round to 2 / 0 / 0.
    const { report } = stratifiedSplit(makeCodes([2], 0), { fractions: [0.8, 0, 0.2] });
    assert.deepEqual(report.perClass['0'], { train: 2, val: 0, test: 0 });
    assert.deepEqual(report.warnings, ["class '0' has no cells in test"]);
  });

  it('rejects fractions that do not sum to 1', () => {
    assert.throws(() => stratifiedSplit(codes, { fractions: [0.5, 0.2, 0.2] }), /'fractions'/);
  });
});

describe('groupSplit', () => {
  // Groups of 50, 30, 10 and 10 cells (ids 0..3), 2 cells with no group.
  const groups = Int32Array.from([
    ...Array(50).fill(0),
    ...Array(30).fill(1),
    ...Array(10).fill(2),
    ...Array(10).fill(3),
    -1,
    -1,
  ]);

  it('keeps every group in one part and fills parts largest group first', () => {
    for (const seed of [0, 1, 2, 3]) {
      const { assignment, report } = groupSplit(groups, { seed });
      const partOf = new Map<number, Set<number>>();
      groups.forEach((g, i) => {
        if (!partOf.has(g)) partOf.set(g, new Set());
        partOf.get(g)!.add(assignment[i]);
      });
      for (const parts of partOf.values()) assert.equal(parts.size, 1);
      assert.deepEqual([...partOf.get(-1)!], [-1]);
      // 50 → train (deficit 60); 30 → val (20 = test's 20, earlier part);
      // first 10 → test (deficit 20); second 10 → train (10 = test's 10, earlier part).
      assert.deepEqual(report.counts, { train: 60, val: 30, test: 10, none: 2 });
      assert.deepEqual(report.fractions, { train: 0.6, val: 0.3, test: 0.1 });
      assert.equal(assignment[0], 0);
      assert.equal(assignment[50], 1);
      assert.equal(report.warnings.length, 2);
    }
  });

  it('chooses which equal-sized group goes where by seed, reproducibly', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 8; seed++) {
      const a = groupSplit(groups, { seed }).assignment;
      assert.deepEqual(groupSplit(groups, { seed }).assignment, a);
      seen.add(a[80]); // group 2 goes to test or train depending on the shuffle
    }
    assert.deepEqual([...seen].sort(), [0, 2]);
  });

  it('warns when there are fewer groups than parts', () => {
    // Targets 1.8 / 0.6 / 0.6: the 2-cell group to train, the 1-cell group to val (tie with test).
    const { report } = groupSplit(Int32Array.from([0, 0, 1]), { seed: 0 });
    assert.equal(report.warnings[0], 'only 2 group(s): test received none');
  });
});

describe('orderedSplit', () => {
  it('puts the earliest cells in train and the latest in test, keeping ties together', () => {
    //             i: 0  1  2  3  4  5  6  7  8  9  10
    const times = [5, 1, 3, 3, 2, 4, 4, 4, 6, 7, Number.NaN];
    // Sorted: 1 2 3 3 4 4 4 5 6 7; sizes 6/2/2 → boundaries at 6 and 8. The run of 4s
    // spans 4..7 (middle 5.5 < 6): train. 5 sits at 7 (middle 7.5): val. 6, 7: test.
    const { assignment, report } = orderedSplit(Float64Array.from(times));
    assert.deepEqual(Array.from(assignment), [1, 0, 0, 0, 0, 0, 0, 0, 2, 2, -1]);
    assert.deepEqual(report.counts, { train: 7, val: 1, test: 2, none: 1 });
  });

  it('moves a tied run whose middle reaches the boundary to the later part', () => {
    // Sorted: 0 0 0 0 1 1 1 1 2 2; run of 1s spans 4..8, middle 6 = train's end: val.
    const times = Float64Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
    const { assignment, report } = orderedSplit(times);
    assert.deepEqual(Array.from(assignment), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
    assert.equal(report.warnings.length, 0);
  });

  it('warns when too few distinct times leave a part empty', () => {
    const { report } = orderedSplit(Float64Array.from([1, 1, 1, 2]));
    assert.deepEqual(report.counts, { train: 3, val: 0, test: 1, none: 0 });
    assert.deepEqual(report.warnings, ['val received no cells: too few distinct times']);
  });

  it('reports per-class counts when classes are given', () => {
    const { report } = orderedSplit(Float64Array.from([0, 1, 2, 3, 4]), {
      classes: { codes: Int32Array.from([0, 1, 0, 1, -1]), names: ['x', 'y'] },
    });
    assert.deepEqual(report.perClass, {
      x: { train: 2, val: 0, test: 0 },
      y: { train: 1, val: 1, test: 0 },
    });
  });
});

describe('naturalCompare (class and category order)', () => {
  it('orders digit runs by value and the rest by code unit', () => {
    const stages = ['16C', '2C', '32C', '4C', '64C', '8C', '1C'];
    assert.deepEqual([...stages].sort(naturalCompare), [
      '1C',
      '2C',
      '4C',
      '8C',
      '16C',
      '32C',
      '64C',
    ]);
    assert.deepEqual(['cluster 10', 'cluster 9', 'cluster 1'].sort(naturalCompare), [
      'cluster 1',
      'cluster 9',
      'cluster 10',
    ]);
    // Text first by code unit (upper case before lower case), then prefixes first.
    assert.deepEqual(['b', 'B', 'a1', 'a'].sort(naturalCompare), ['B', 'a', 'a1', 'b']);
    // Same value, different spelling: still a strict order, so sorting is deterministic.
    assert.ok(naturalCompare('01', '1') < 0 && naturalCompare('1', '01') > 0);
    assert.equal(naturalCompare('E14.5', 'E14.5'), 0);
    assert.ok(naturalCompare('E14.5', 'E16.5') < 0 && naturalCompare('E9.5', 'E14.5') < 0);
  });

  it('gives labels from text in that order', () => {
    const obs = new Map([
      ['stage', { kind: 'string' as const, values: ['8C', '2C', '16C', '2C'] }],
    ]);
    const labels = labelsFromColumn(obs, 'stage');
    assert.deepEqual(labels.names, ['2C', '8C', '16C']);
    assert.deepEqual(Array.from(labels.codes), [1, 0, 2, 0]);
  });
});
