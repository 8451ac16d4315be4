/**
 * NumPy `.npy` encoding (format version 1.0), the member format of `.npz`.
 *
 * A file is the magic `\x93NUMPY`, the version bytes 1 0, a little-endian
 * uint16 header length, then a Python-literal dict (`descr`, `fortran_order`,
 * `shape`) padded with spaces and a newline so the data starts on a 64-byte
 * boundary, then the raw little-endian C-order values.
 *
 * Example: `encodeNpy(new Float32Array([1, 2, 3, 4]), [2, 2], '<f4')`.
 */

/** The element types graph.npz uses. `<U` is fixed-width UTF-32 text, sized to the longest string. */
export type NpyDtype = '<f4' | '<f8' | '<i4' | '<i8' | '|b1' | '<U';

export type NpyValues =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | readonly string[];

const ALIGNMENT = 64;

/** Encode one array as `.npy` bytes; `shape` must multiply to the number of values. */
export function encodeNpy(array: NpyValues, shape: readonly number[], dtype: NpyDtype): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (array.length !== count) {
    throw new RangeError(`npy: ${array.length} values do not fill shape (${shape.join(', ')})`);
  }
  const { descr, body } = encodeBody(array, dtype);
  const header = headerBytes(descr, shape);
  // One copy of the values, straight into the output.
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

function encodeBody(array: NpyValues, dtype: NpyDtype): { descr: string; body: Uint8Array } {
  if (dtype === '<U') {
    if (!isStringArray(array)) throw new TypeError('npy: <U needs an array of strings');
    return encodeUnicode(array);
  }
  const expected = {
    '<f4': Float32Array,
    '<f8': Float64Array,
    '<i4': Int32Array,
    '<i8': BigInt64Array,
    '|b1': Uint8Array,
  }[dtype];
  if (!(array instanceof expected)) {
    throw new TypeError(`npy: ${dtype} needs a ${expected.name}`);
  }
  // Typed arrays are little-endian on every platform Node runs on (x86, ARM).
  return { descr: dtype, body: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) };
}

function isStringArray(array: NpyValues): array is readonly string[] {
  return Array.isArray(array);
}

/** Fixed-width UTF-32LE, zero-padded, as numpy stores `<U` arrays. */
function encodeUnicode(strings: readonly string[]): { descr: string; body: Uint8Array } {
  // numpy has no '<U0'; an all-empty array is '<U1'.
  let width = 1;
  for (const s of strings) width = Math.max(width, codePointCount(s));
  const units = new Uint32Array(strings.length * width);
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i];
    let at = i * width;
    for (let k = 0; k < s.length; ) {
      const cp = s.codePointAt(k)!;
      units[at++] = cp;
      k += cp > 0xffff ? 2 : 1;
    }
  }
  const body = new Uint8Array(units.buffer);
  return { descr: `<U${width}`, body };
}

/** Code points in a string (a lone surrogate counts as one, as `Array.from` splits it). */
function codePointCount(s: string): number {
  let count = 0;
  for (let k = 0; k < s.length; count++) k += s.codePointAt(k)! > 0xffff ? 2 : 1;
  return count;
}

function headerBytes(descr: string, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const padding = (ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT;
  const text = dict + ' '.repeat(padding) + '\n';
  if (text.length > 0xffff) throw new RangeError('npy: header too long for format 1.0');

  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = text.length & 0xff;
  out[9] = text.length >> 8;
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}
