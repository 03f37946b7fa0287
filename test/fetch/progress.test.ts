import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeProgress, progressLine, type ProgressStream } from '../../src/fetch/progress.js';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns, written, write: (text: string) => written.push(text) };
}

describe('describeProgress', () => {
  test('a countdown while the target collects', () => {
    assert.equal(describeProgress({ phase: 'collecting', elapsedMs: 0, seconds: 30 }), 'collecting profile: 30s left…');
    assert.equal(describeProgress({ phase: 'collecting', elapsedMs: 17_800, seconds: 30 }), 'collecting profile: 13s left…');
    assert.equal(describeProgress({ phase: 'collecting', elapsedMs: 31_200, seconds: 30 }), 'collecting profile: waiting for the answer… 31s');
    assert.equal(describeProgress({ phase: 'collecting', elapsedMs: 2_500 }), 'fetching profile… 2s');
  });
  test('bytes while downloading', () => {
    assert.equal(describeProgress({ phase: 'downloading', elapsedMs: 0, bytes: 950 }), 'downloading 950 B…');
    assert.equal(describeProgress({ phase: 'downloading', elapsedMs: 0, bytes: 1_234_567 }), 'downloading 1.2 MB…');
    assert.equal(describeProgress({ phase: 'downloading', elapsedMs: 0, bytes: 45_600_000, totalBytes: 120_000_000 }), 'downloading 46 MB of 120 MB…');
  });
});

describe('progressLine', () => {
  test('nothing at all when the stream is not a TTY', () => {
    const stream = fakeStream(false);
    const line = progressLine(stream);
    line.update({ phase: 'collecting', elapsedMs: 0, seconds: 5 });
    line.update({ phase: 'downloading', elapsedMs: 5000, bytes: 10 });
    line.done();
    assert.deepEqual(stream.written, []);
  });

  test('redrawn in place, only when the text changes, at most every interval, erased at the end', () => {
    const stream = fakeStream(true);
    let now = 0;
    const line = progressLine(stream, { minIntervalMs: 100, now: () => now });
    line.update({ phase: 'collecting', elapsedMs: 0, seconds: 2 });
    now = 250;
    line.update({ phase: 'collecting', elapsedMs: 250, seconds: 2 }); // same text: no write
    now = 1100;
    line.update({ phase: 'collecting', elapsedMs: 1100, seconds: 2 });
    now = 2050;
    line.update({ phase: 'downloading', elapsedMs: 2050, bytes: 0 }); // a new phase draws at once
    now = 2080;
    line.update({ phase: 'downloading', elapsedMs: 2080, bytes: 5_000_000 }); // too soon
    now = 2200;
    line.update({ phase: 'downloading', elapsedMs: 2200, bytes: 9_000_000 });
    line.done();
    assert.deepEqual(stream.written, [
      '\rcollecting profile: 2s left…\x1b[K',
      '\rcollecting profile: 1s left…\x1b[K',
      '\rdownloading 0 B…\x1b[K',
      '\rdownloading 9.0 MB…\x1b[K',
      '\r\x1b[K',
    ]);
  });

  test('done() writes nothing when nothing was drawn', () => {
    const stream = fakeStream(true);
    progressLine(stream).done();
    assert.deepEqual(stream.written, []);
  });

  test('cut to the terminal width so \\r can rewrite it', () => {
    const stream = fakeStream(true, 20);
    progressLine(stream).update({ phase: 'collecting', elapsedMs: 0, seconds: 30 });
    assert.equal(stream.written[0], '\rcollecting profile…\x1b[K');
  });
});
