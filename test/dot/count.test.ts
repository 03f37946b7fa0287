/** countDotNodes: the nodes of pprof's DOT, not its tag boxes, edges or legend. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countDotNodes } from '../../src/dot/dot.js';
import { readGolden } from '../support/goldens.js';

test('countDotNodes counts node lines only', () => {
  // billing.allocs.dot (pprof's own -dot): 37 nodes, 56 tag boxes hanging off them.
  const dot = readGolden('billing.allocs.dot');
  assert.equal(countDotNodes(dot), 37);
  assert.equal(countDotNodes('digraph "N1 [" {\nsubgraph cluster_L { "N2 [" [label="N3 [\\l"] }\nN1 -> N2 [label=" 1s"]\nN1_0 [label = "k:v"]\n}\n'), 0);
});
