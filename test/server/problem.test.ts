/** The one table from the pipeline's typed errors to HTTP problems. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BusyError,
  OptionsError,
  ProfileError,
  RenderError,
  RenderTimeoutError,
  SourceArchiveError,
  TooLargeError,
} from '../../src/errors.js';
import { HttpProblem, PROBLEM_KINDS, problemFromError } from '../../src/server/problem.js';

test('each typed error maps to its status and kind', () => {
  const cases: [unknown, number, string][] = [
    [new ProfileError('empty', 'empty input'), 400, 'empty-profile'],
    [new ProfileError('truncated', 'truncated gzip stream'), 400, 'malformed-profile'],
    [new ProfileError('malformed', 'x', 'sample.location_id', 9), 400, 'malformed-profile'],
    [new ProfileError('unrecognized', 'not a profile'), 415, 'unsupported-profile'],
    [new ProfileError('overflow', 'value overflow'), 422, 'value-overflow'],
    [new TooLargeError('over', 10), 413, 'too-large'],
    [new OptionsError('bad', 'focus'), 422, 'bad-options'],
    [new BusyError(3), 503, 'busy'],
    [new RenderTimeoutError(100), 504, 'render-timeout'],
    [new RenderError('syntax error'), 422, 'render-failed'],
    [new SourceArchiveError('unsafe_path', 'no ../', '../x'), 422, 'bad-sources'],
    [new SourceArchiveError('too_large', 'over the cap'), 422, 'bad-sources'],
    [new SourceArchiveError('unsupported', 'not an archive'), 415, 'unsupported-sources'],
    [new SourceArchiveError('too_many_files', 'too many'), 422, 'bad-sources'],
    [new HttpProblem('not-found', 'nope'), 404, 'not-found'],
  ];
  for (const [err, status, kind] of cases) {
    const m = problemFromError(err);
    assert.equal(m.problem.status, status, String(err));
    assert.equal(m.problem.type, `urn:hotpath:problem:${kind}`);
    assert.equal(m.problem.title, PROBLEM_KINDS[kind as keyof typeof PROBLEM_KINDS].title);
    assert.equal(m.unexpected, false);
  }
});

test('members: field and index for profiles, option, limit, Retry-After', () => {
  const p = problemFromError(new ProfileError('malformed', 'sample references location id 999', 'sample.location_id', 999)).problem;
  assert.deepEqual(p, {
    type: 'urn:hotpath:problem:malformed-profile',
    title: 'Malformed profile',
    status: 400,
    detail: 'sample references location id 999',
    field: 'sample.location_id',
    index: 999,
  });
  assert.equal(problemFromError(new OptionsError('x', 'sample_index')).problem.option, 'sample_index');
  assert.equal(problemFromError(new TooLargeError('x', 42)).problem.limit, 42);
  assert.deepEqual(problemFromError(new BusyError(4)).headers, { 'Retry-After': '4' });
  assert.ok(!('field' in problemFromError(new ProfileError('empty', 'empty input')).problem), 'absent members are left out');
});

test('anything else is a 500 with a generic detail, flagged for the log', () => {
  const m = problemFromError(new TypeError('cannot read properties of undefined (secret internals)'));
  assert.equal(m.problem.status, 500);
  assert.equal(m.problem.type, 'urn:hotpath:problem:internal');
  assert.doesNotMatch(m.problem.detail, /secret|undefined/);
  assert.equal(m.unexpected, true);
  assert.equal(problemFromError('a thrown string').problem.status, 500);
});
