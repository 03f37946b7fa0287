/** src/regex.ts: user patterns under RE2, compiled once per pattern while it is in use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionsError } from '../src/errors.js';
import { compileRegex, MAX_REGEX_PROGRAM } from '../src/regex.js';

test('a pattern compiled again matches as the first time; a refused one is refused every time', () => {
  for (let round = 0; round < 3; round++) {
    const m = compileRegex('^runtime\\.(gopark|goexit)$', 'focus');
    assert.equal(m.test('runtime.gopark'), true);
    assert.equal(m.test('runtime.goparkx'), false);
    assert.throws(() => compileRegex('(unclosed', 'focus'), (e: unknown) => e instanceof OptionsError && e.option === 'focus');
    const huge = `(?:${'\\pL{1000}'.repeat(20)})`;
    assert.throws(() => compileRegex(huge, 'show'), (e: unknown) => e instanceof OptionsError && e.message.includes(String(MAX_REGEX_PROGRAM)));
  }
});

test('patterns beyond what is kept still compile and match (the cache only forgets)', () => {
  const matchers = Array.from({ length: 200 }, (_, i) => [i, compileRegex(`^f${i}$`, 'focus')] as const);
  for (const [i, m] of matchers) {
    assert.equal(m.test(`f${i}`), true);
    assert.equal(m.test(`f${i + 1}`), false);
  }
  assert.equal(compileRegex('^f7$', 'focus').test('f7'), true);
});
