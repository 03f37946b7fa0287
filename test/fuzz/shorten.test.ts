/**
 * dot/shorten.ts writes pprof's five ShortenFunctionName regexes out as scans. The oracle here is the
 * regexes themselves, run by RE2 (re2js) exactly as the scans replaced them: every generated name must
 * shorten the same way. Names are built from the pieces the patterns care about (path segments,
 * `/vN`, `::`, `.`, `$`, `<…>`, `(`, newlines, `(anonymous namespace)::`) so the corners are hit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { shortenFunctionName } from '../../src/dot/shorten.js';
import { fuzzParams, Tally } from './support.js';

const compile = (p: string) => RE2JS.compile(p);
const anonymous = compile('^\\(anonymous namespace\\)::');
const goVersion = compile('^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$');
const shorteners = [
  compile('^(?:[\\w\\-\\.]+\\/)+(.+)'),
  compile('^(?:[a-z]\\w*\\.)*([A-Z][\\w\\$]*\\.(?:<init>|[a-z][\\w\\$]*(?:\\$\\d+)?))(?:(?:\\()|$)'),
  compile('^(?:[_a-zA-Z]\\w*::)+(_*[A-Z]\\w*::~?[_a-zA-Z]\\w*(?:<.*>)?)'),
];

/** pprof's ShortenFunctionName as pprof writes it, with RE2. */
function byRe2(f: string): string {
  f = anonymous.matcher(f).replaceAll('');
  f = goVersion.matcher(f).replaceAll('$1$2');
  for (const re of shorteners) {
    const m = re.matcher(f);
    if (m.find()) return m.group(1) ?? '';
  }
  return f;
}

const piece = fc.oneof(
  fc.constantFrom('a', 'b', 'z', 'A', 'Q', 'Z', '0', '1', '2', '9', '_', '-', '.', '/', ':', '::', '$', '$1', '<', '>', '(', ')', '~', '\n', ' ', '*', 'é', '日'),
  fc.constantFrom('/v2', '/v2.', '/v10/', '/v1/', '/v0.', '/v03/', '<init>', '(anonymous namespace)::', 'std::', 'Foo::', '_Bar::', 'github.com/', 'main.', 'java.lang.', 'String.', 'func1'),
);
const name = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));

test('shortenFunctionName equals pprof\'s regexes under RE2 on generated names', () => {
  const tally = new Tally();
  fc.assert(fc.property(name, (f) => {
    const want = byRe2(f);
    tally.add(want === f ? 'unchanged' : 'shortened');
    assert.equal(shortenFunctionName(f), want, JSON.stringify(f));
  }), fuzzParams(20_000));
  assert.ok(tally.get('shortened') > 1000 && tally.get('unchanged') > 1000, tally.summary('shorten'));
  console.log(tally.summary('shortenFunctionName vs RE2'));
});

test('shortenFunctionName on the names pprof shortens in its own examples', () => {
  const cases: [string, string][] = [
    ['crypto/sha256.block', 'sha256.block'],
    ['github.com/acme/shopd/internal/cart.(*Cart).Total', 'cart.(*Cart).Total'],
    ['example.com/mod/v2/pkg.F', 'pkg.F'],
    ['example.com/mod/v12.F', 'mod.F'],
    ['java.lang.String.hashCode(Ljava/lang/Object;)', 'String.hashCode'],
    ['com.google.Foo$Bar.<init>', 'Foo$Bar.<init>'],
    ['std::vector<int>::push_back', 'std::vector<int>::push_back'],
    ['(anonymous namespace)::Foo::bar<int>(int)', 'Foo::bar<int>(int)'],
    ['ns::Foo::bar<int>(int)', 'Foo::bar<int>'],
    ['ns::Outer::Inner::~Inner', 'Inner::~Inner'],
    ['main.main', 'main.main'],
  ];
  for (const [f, want] of cases) {
    assert.equal(byRe2(f), want, `oracle: ${f}`);
    assert.equal(shortenFunctionName(f), want, f);
  }
});
