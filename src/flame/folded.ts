/**
 * Profile → Brendan Gregg's collapsed ("folded") stacks, the text flamegraph.pl, speedscope and most
 * flame graph tools read (profile/folded.ts reads it back). Frames are named as the flame graph names
 * them (stacks.ts), so both views of one profile agree.
 */

import type { Profile } from '../profile/model.js';
import { compareBytes } from '../format/go-strings.js';
import { StackNamer, checkValueIndex } from './stacks.js';
import { OutputBudget, outputTooLarge } from '../pipeline/output.js';

/**
 * A frame name made safe for one folded line: `;` would split the frame and a line break would
 * split the stack. `;` becomes `:` as stackcollapse-perf.pl does; line breaks become spaces.
 */
export function foldedFrameName(name: string): string {
  return name.replace(/;/g, ':').replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
}

/**
 * Writes the profile's stacks for one sample type as collapsed stacks: inlined frames expanded,
 * leaf last, identical stacks summed, one line per stack, lines sorted bytewise by stack (as
 * `LC_ALL=C sort` would), each ending in a newline. Stacks that sum to 0 and samples without
 * frames are left out: neither can be drawn.
 */
export function toFolded(profile: Profile, valueIndex: number, maxOutputChars = Infinity): string {
  checkValueIndex(profile, valueIndex);
  // Every distinct stack is a line of the output: counted as its key is made, and a key that alone
  // would pass the cap is refused before it is joined.
  const keyBudget = new OutputBudget(maxOutputChars);
  const namer = new StackNamer();
  const safeNames = new Map<string, string>();
  const sums = new Map<string, number>();
  for (const sample of profile.samples) {
    const value = sample.values[valueIndex]!;
    if (value === 0 || sample.locations.length === 0) continue;
    const frames = namer.frames(sample);
    let keyLength = frames.length;
    for (let i = 0; i < frames.length; i++) {
      const raw = frames[i]!;
      let safe = safeNames.get(raw);
      if (safe === undefined) {
        safe = foldedFrameName(raw);
        safeNames.set(raw, safe);
      }
      frames[i] = safe;
      keyLength += safe.length;
    }
    if (keyLength > maxOutputChars) throw outputTooLarge(maxOutputChars);
    const key = frames.join(';');
    const sum = sums.get(key);
    if (sum === undefined) keyBudget.take(keyLength);
    sums.set(key, (sum ?? 0) + value);
  }
  const stacks = [...sums.keys()].filter((k) => sums.get(k) !== 0).sort(compareBytes);
  const budget = new OutputBudget(maxOutputChars);
  let out = '';
  for (const k of stacks) out += budget.line(`${k} ${sums.get(k)}`) + '\n';
  return out;
}
