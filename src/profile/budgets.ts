/**
 * The decoder's budgets (src/limits.ts) for inputs read as text (goroutine dumps, folded stacks):
 * their parsers make a Profile of at most a few objects per input byte, and the input is bounded
 * by the body cap, so the budgets are checked on the result, before any report walks it.
 */
import { CLI_LIMITS } from '../limits.js';
import { overBudget, type DecodeLimits } from './decode.js';
import type { Profile } from './model.js';

export function checkProfileBudgets(p: Profile, limits: DecodeLimits = {}): void {
  const maxSamples = limits.maxSamples ?? CLI_LIMITS.maxSamples;
  const maxFrames = limits.maxFrames ?? CLI_LIMITS.maxFrames;
  const maxStackDepth = limits.maxStackDepth ?? CLI_LIMITS.maxStackDepth;
  const maxNameBytes = limits.maxNameBytes ?? CLI_LIMITS.maxNameBytes;
  if (p.samples.length > maxSamples) throw overBudget('maxSamples', maxSamples, `profile has more than ${maxSamples} samples`);
  let frames = 0;
  for (const s of p.samples) {
    if (s.locations.length > maxStackDepth) {
      throw overBudget('maxStackDepth', maxStackDepth, `a sample's stack has more than ${maxStackDepth} frames`);
    }
    frames += s.locations.length;
  }
  if (frames > maxFrames) throw overBudget('maxFrames', maxFrames, `the samples' stacks have more than ${maxFrames} frames in all`);
  for (const f of p.functions) {
    // UTF-16 units ≤ UTF-8 bytes ≤ 3 × units: count bytes only when it could matter.
    for (const name of [f.name, f.filename]) {
      if (name.length * 3 > maxNameBytes && Buffer.byteLength(name, 'utf8') > maxNameBytes) {
        throw overBudget('maxNameBytes', maxNameBytes, `a name is ${Buffer.byteLength(name, 'utf8')} bytes long, over ${maxNameBytes}`);
      }
    }
  }
}
