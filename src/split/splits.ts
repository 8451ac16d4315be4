/**
 * Train/validation/test splits of cells, as an Int8Array of SPLIT_TRAIN,
 * SPLIT_VAL, SPLIT_TEST or -1 (in no part) plus a report of what was made.
 * All randomness comes from a seeded Random, so a seed fixes the split.
 */
import { invalidParameter } from '../errors.ts';
import { Random } from '../matrix/random.ts';
import { SPLIT_NAMES } from '../package/types.ts';

export type SplitFractions = readonly [train: number, val: number, test: number];

export interface PartCounts {
  train: number;
  val: number;
  test: number;
}

export interface SplitReport {
  /** Cells per part; `none` counts cells left out (unlabelled, no group, no time). */
  readonly counts: PartCounts & { none: number };
  /** Achieved share of the assigned cells in each part. */
  readonly fractions: PartCounts;
  /** Per class (by name, or code when unnamed): cells in each part. Empty without classes. */
  readonly perClass: Readonly<Record<string, PartCounts>>;
  readonly warnings: readonly string[];
}

export interface Split {
  readonly assignment: Int8Array;
  readonly report: SplitReport;
}

/** Class codes (-1 unlabelled) and their names, for per-class counts in a report. */
export interface ClassInfo {
  readonly codes?: Int32Array;
  readonly names?: readonly string[];
}

export const DEFAULT_FRACTIONS: SplitFractions = [0.6, 0.2, 0.2];

/**
 * Per-class random split: each class is shuffled on its own and cut into
 * parts whose sizes follow `fractions` (default 0.6/0.2/0.2) by largest
 * remainder, ties to the earlier part, so sizes sum exactly. A class with
 * fewer cells than there are non-empty parts cannot reach all of them: its
 * cells go to train first, then test, then val, and a warning names it.
 * Unlabelled cells (-1) are in no part.
 *
 * @example stratifiedSplit(labels.codes, { seed: 0, names: labels.names })
 */
export function stratifiedSplit(
  codes: Int32Array,
  options: { fractions?: SplitFractions; seed?: number; names?: readonly string[] } = {},
): Split {
  const fractions = checkFractions(options.fractions ?? DEFAULT_FRACTIONS);
  const rng = new Random(options.seed ?? 0);
  const name = className(options.names);
  const assignment = new Int8Array(codes.length).fill(-1);
  const warnings: string[] = [];
  const positive = partsInFillOrder(fractions);

  const members = groupMembers(codes);
  for (const [code, cells] of members) {
    rng.shuffle(cells);
    let sizes: number[];
    if (cells.length < positive.length) {
      sizes = [0, 0, 0];
      for (let c = 0; c < cells.length; c++) sizes[positive[c]]++;
      const parts = positive.slice(0, cells.length).map((p) => SPLIT_NAMES[p]);
      warnings.push(
        `class '${name(code)}' has ${cells.length} cell(s), too few for ${positive.length} parts: ` +
          `placed in ${parts.join(' and ')}`,
      );
    } else {
      sizes = largestRemainder(cells.length, fractions);
    }
    let at = 0;
    for (let p = 0; p < 3; p++) {
      for (let s = 0; s < sizes[p]; s++) assignment[cells[at++]] = p;
    }
  }
  const report = makeReport(assignment, { codes, names: options.names }, warnings);
  for (const [cls, counts] of Object.entries(report.perClass)) {
    const total = counts.train + counts.val + counts.test;
    if (total < positive.length) continue; // already warned as too small
    const missing = positive.filter((p) => counts[SPLIT_NAMES[p]] === 0).map((p) => SPLIT_NAMES[p]);
    if (missing.length) warnings.push(`class '${cls}' has no cells in ${missing.join(' and ')}`);
  }
  return { assignment, report };
}

/**
 * Split by group (donor, sample, batch): every cell of a group lands in one
 * part. Groups are shuffled, then taken largest first (ties in shuffled
 * order) and each is put in the non-empty part furthest below its target
 * size, ties to the earlier part. Cells with group -1 are in no part. The
 * report gives the achieved fractions, which can be far from the targets
 * when there are few groups.
 */
export function groupSplit(
  groups: Int32Array,
  options: { fractions?: SplitFractions; seed?: number; classes?: ClassInfo } = {},
): Split {
  const fractions = checkFractions(options.fractions ?? DEFAULT_FRACTIONS);
  const rng = new Random(options.seed ?? 0);
  const members = groupMembers(groups);
  const ids = rng.shuffle(Array.from(members.keys()));
  // Stable sort keeps the shuffled order among groups of equal size.
  ids.sort((a, b) => members.get(b)!.length - members.get(a)!.length);

  const total = ids.reduce((s, g) => s + members.get(g)!.length, 0);
  const target = fractions.map((f) => f * total);
  const filled = [0, 0, 0];
  const assignment = new Int8Array(groups.length).fill(-1);
  for (const g of ids) {
    let best = -1;
    for (let p = 0; p < 3; p++) {
      if (fractions[p] === 0) continue;
      if (best < 0 || target[p] - filled[p] > target[best] - filled[best]) best = p;
    }
    const cells = members.get(g)!;
    filled[best] += cells.length;
    for (const c of cells) assignment[c] = best;
  }
  const warnings: string[] = [];
  const empty = partsInFillOrder(fractions).filter((p) => filled[p] === 0);
  if (empty.length) {
    const parts = empty.map((p) => SPLIT_NAMES[p]).join(' and ');
    warnings.push(`only ${ids.length} group(s): ${parts} received none`);
  }
  const report = makeReport(assignment, options.classes ?? {}, warnings);
  for (let p = 0; p < 3; p++) {
    const got = report.fractions[SPLIT_NAMES[p]];
    if (filled[p] > 0 && Math.abs(got - fractions[p]) > 0.05) {
      warnings.push(
        `${SPLIT_NAMES[p]} holds ${(100 * got).toFixed(1)}% of cells, target ${(100 * fractions[p]).toFixed(1)}%`,
      );
    }
  }
  return { assignment, report };
}

/**
 * Split by time (or any ordered value): earliest cells to train, latest to
 * test. Part sizes target `fractions` by largest remainder over the sorted
 * cells; cells with the same time stay together, in the part where the middle
 * of their run falls. Cells with a NaN time are in no part.
 */
export function orderedSplit(
  times: Float64Array,
  options: { fractions?: SplitFractions; classes?: ClassInfo } = {},
): Split {
  const fractions = checkFractions(options.fractions ?? DEFAULT_FRACTIONS);
  const order: number[] = [];
  for (let i = 0; i < times.length; i++) if (!Number.isNaN(times[i])) order.push(i);
  order.sort((a, b) => times[a] - times[b] || a - b);
  const sizes = largestRemainder(order.length, fractions);
  const bounds = [sizes[0], sizes[0] + sizes[1], order.length];

  const assignment = new Int8Array(times.length).fill(-1);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && times[order[end]] === times[order[start]]) end++;
    const mid = (start + end) / 2;
    let part = 0;
    while (part < 2 && (mid >= bounds[part] || fractions[part] === 0)) part++;
    for (let s = start; s < end; s++) assignment[order[s]] = part;
    start = end;
  }
  const warnings: string[] = [];
  const report = makeReport(assignment, options.classes ?? {}, warnings);
  for (const p of partsInFillOrder(fractions)) {
    if (report.counts[SPLIT_NAMES[p]] === 0) {
      warnings.push(`${SPLIT_NAMES[p]} received no cells: too few distinct times`);
    }
  }
  return { assignment, report };
}

/** Part sizes for `total` items: floors of the quotas, then +1 by largest remainder. */
export function largestRemainder(total: number, fractions: SplitFractions): number[] {
  // The epsilon keeps 0.6 * 5 = 3.0000000000000004 from counting as a remainder.
  const quotas = fractions.map((f) => f * total);
  const sizes = quotas.map((q) => Math.floor(q + 1e-9));
  const remainder = quotas.map((q, p) => q - sizes[p]);
  const byRemainder = [0, 1, 2].sort((a, b) => {
    const diff = remainder[b] - remainder[a];
    return Math.abs(diff) > 1e-9 ? diff : a - b;
  });
  let left = total - sizes[0] - sizes[1] - sizes[2];
  for (const p of byRemainder) {
    if (left <= 0) break;
    sizes[p]++;
    left--;
  }
  return sizes;
}

/** Parts with a positive fraction, in the order scarce cells go to them: train, test, val. */
function partsInFillOrder(fractions: SplitFractions): number[] {
  return [0, 2, 1].filter((p) => fractions[p] > 0);
}

function checkFractions(fractions: SplitFractions): SplitFractions {
  const sum = fractions[0] + fractions[1] + fractions[2];
  if (fractions.length !== 3 || fractions.some((f) => !(f >= 0)) || Math.abs(sum - 1) > 1e-6) {
    throw invalidParameter(
      'fractions',
      `must be three non-negative numbers (train, val, test) summing to 1, got ${fractions.join(', ')}`,
    );
  }
  return fractions;
}

/** Cells of each non-negative code, in ascending cell order, by ascending code. */
function groupMembers(codes: Int32Array): Map<number, number[]> {
  const members = new Map<number, number[]>();
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 0) continue;
    let list = members.get(codes[i]);
    if (!list) members.set(codes[i], (list = []));
    list.push(i);
  }
  return new Map([...members].sort((a, b) => a[0] - b[0]));
}

function className(names?: readonly string[]) {
  return (code: number) => names?.[code] ?? String(code);
}

function makeReport(assignment: Int8Array, classes: ClassInfo, warnings: string[]): SplitReport {
  const counts = { train: 0, val: 0, test: 0, none: 0 };
  const perClass: Record<string, PartCounts> = {};
  const name = className(classes.names);
  if (classes.codes) {
    const seen = new Set(classes.codes);
    for (const code of [...seen].sort((a, b) => a - b)) {
      if (code >= 0) perClass[name(code)] = { train: 0, val: 0, test: 0 };
    }
  }
  for (let i = 0; i < assignment.length; i++) {
    const p = assignment[i];
    if (p < 0) {
      counts.none++;
      continue;
    }
    counts[SPLIT_NAMES[p]]++;
    const code = classes.codes?.[i] ?? -1;
    if (code >= 0) perClass[name(code)][SPLIT_NAMES[p]]++;
  }
  const assigned = counts.train + counts.val + counts.test;
  const share = (c: number) => (assigned ? c / assigned : 0);
  return {
    counts,
    fractions: { train: share(counts.train), val: share(counts.val), test: share(counts.test) },
    perClass,
    warnings,
  };
}
