/** summary.md's Markdown: names from profiles stay text, whatever they hold. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeMarkdown, linkTarget, renderSummary, type SummaryProfile } from '../../src/ci/markdown.js';

test('escapeMarkdown: no HTML, no link, no code span, no emphasis, no cell end comes out of a name', () => {
  assert.equal(escapeMarkdown('<script>alert(1)</script>'), '&lt;script&gt;alert(1)&lt;/script&gt;');
  assert.equal(escapeMarkdown('<img src=x onerror=alert(2)>'), '&lt;img src=x onerror=alert(2)&gt;');
  assert.equal(escapeMarkdown('main.label{x|y}'), 'main.label{x\\|y}');
  assert.equal(escapeMarkdown("single'quote`tick"), "single'quote\\`tick");
  assert.equal(escapeMarkdown('**bold** _em_ ~~s~~'), '\\*\\*bold\\*\\* \\_em\\_ \\~\\~s\\~\\~');
  assert.equal(escapeMarkdown('[x](javascript:alert(1))'), '\\[x\\](javascript:alert(1))');
  assert.equal(escapeMarkdown('![i](http://x/y.png)'), '!\\[i\\](http://x/y.png)');
  assert.equal(escapeMarkdown('amp&amp;&lt;'), 'amp&amp;amp;&amp;lt;');
  assert.equal(escapeMarkdown('back\\slash\\'), 'back\\\\slash\\\\');
  assert.equal(escapeMarkdown('cost $x^2$'), 'cost \\$x^2\\$');
  assert.equal(escapeMarkdown('# not a heading'), '\\# not a heading');
  assert.equal(escapeMarkdown('@org/team'), '@\u2060org/team');
});

test('escapeMarkdown: line breaks and invisible characters are written out', () => {
  assert.equal(escapeMarkdown('new\nline\r\nname'), 'new\\\\nline\\\\nname');
  assert.equal(escapeMarkdown('a\u2028b\u202ec\u200bd\u0000e'), 'a\\\\u2028b\\\\u202ec\\\\u200bd\\\\x00e');
  assert.equal(escapeMarkdown('函数_🔥'), '函数\\_🔥');
});

test('escapeMarkdown cuts long names by code point, never inside an escape', () => {
  assert.equal(escapeMarkdown('🔥'.repeat(10), 3), '🔥🔥🔥…');
  assert.equal(escapeMarkdown('<<<<', 2), '&lt;&lt;…');
  assert.equal(escapeMarkdown('short', 10), 'short');
});

test('linkTarget encodes each segment', () => {
  assert.equal(linkTarget('cpu/graph.svg'), 'cpu/graph.svg');
  assert.equal(linkTarget('a b)/x.svg'), 'a%20b)/x.svg');
});

const profile = (title: string): SummaryProfile => ({
  title, dir: 'p', files: [{ path: 'p/top.txt', label: 'top.txt' }], image: 'p/graph.png', sampleType: 'cpu', total: '1s',
  sortedBy: 'flat', rows: [{ flat: '1s', flatPercent: '100%', cum: '1s', cumPercent: '100%', name: 'main.<b>|x' }],
  totalRows: 3, problems: [], warnings: [],
});

test('renderSummary: breaches first, then notes, then one section per profile', () => {
  const md = renderSummary({
    profiles: [profile('cpu.pb.gz')], breaches: ['cpu.pb.gz: main.x: flat 90%, more than 20% (budgets[0])'],
    budgetChecked: true, budgetRules: 1, notes: ['a note'], failures: [],
  });
  const lines = md.split('\n');
  assert.equal(lines[0], '# hotpath report');
  assert.equal(lines[2], '**❌ Budget exceeded: 1 breach**');
  assert.equal(lines[4], '- ❌ cpu.pb.gz: main.x: flat 90%, more than 20% (budgets\\[0\\])');
  assert.ok(md.indexOf('a note') < md.indexOf('## cpu.pb.gz'));
  assert.ok(md.includes('| 1s | 100% | 1s | 100% | main.&lt;b&gt;\\|x |'));
  assert.ok(md.includes('Top 1 of 3 functions by flat; all of them in [top.txt](p/top.txt).'));
  assert.ok(md.includes('![Call graph of cpu.pb.gz](p/graph.png)'));
  assert.ok(md.endsWith(')\n') && !md.includes('\n\n\n'));
});

test('renderSummary says a budget passed, and says nothing of budgets without one', () => {
  const passed = renderSummary({ profiles: [profile('a')], breaches: [], budgetChecked: true, budgetRules: 3, notes: [], failures: [] });
  assert.match(passed, /^# hotpath report\n\n\*\*✅ Within budget\*\* \(3 rules\)\n/);
  const none = renderSummary({ profiles: [profile('a')], breaches: [], budgetChecked: false, budgetRules: 0, notes: [], failures: [] });
  assert.doesNotMatch(none, /budget/i);
});
