import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isGzipFile, readAllLines, readLineBatches } from '../../src/io/text.ts';
import { rejectsWith, scratch } from './helpers.ts';

describe('text line reading', () => {
  const tmp = scratch();
  after(tmp.cleanup);

  it('reads plain and gzipped files alike, by content not by name', async () => {
    const text = 'a\tb\n1\t2\n3\t4\n';
    const plain = tmp.write('plain.tsv', text);
    const gz = tmp.write('packed.tsv.gz', text, true);
    const misnamed = tmp.write('misnamed.tsv', text, true);
    assert.equal(await isGzipFile(plain), false);
    assert.equal(await isGzipFile(misnamed), true);
    for (const path of [plain, gz, misnamed]) {
      assert.deepEqual(await readAllLines(path), ['a\tb', '1\t2', '3\t4']);
    }
  });

  it('drops CRLF endings and a byte-order mark, keeps a last line without newline', async () => {
    const path = tmp.write('crlf.csv', '\ufeffx,y\r\n1,2\r\n3,4');
    assert.deepEqual(await readAllLines(path), ['x,y', '1,2', '3,4']);
  });

  it('splits lines correctly across stream chunks', async () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `line-${i}`);
    const path = tmp.write('long.txt.gz', `${lines.join('\n')}\n`, true);
    let batches = 0;
    const seen: string[] = [];
    for await (const batch of readLineBatches(path)) {
      batches++;
      seen.push(...batch);
    }
    assert.ok(batches > 1, 'expected several batches');
    assert.deepEqual(seen, lines);
  });

  it('names the file when it is missing or its gzip data is truncated', async () => {
    await rejectsWith(
      readAllLines(join(tmp.dir, 'nope.tsv')),
      'invalid-input',
      /nope\.tsv/,
      /does not exist/,
    );
    const full = gzipSync('x\n'.repeat(10_000));
    const cut = join(tmp.dir, 'cut.tsv.gz');
    writeFileSync(cut, full.subarray(0, full.length - 20));
    await rejectsWith(readAllLines(cut), 'invalid-input', /cut\.tsv\.gz/, /truncated|corrupt/);
  });
});
