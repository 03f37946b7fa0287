/**
 * The output budget of one report (src/limits.ts maxOutputChars). Reports whose size grows with
 * samples × depth × name length (traces, folded stacks, list, flame graphs) count what they write
 * as they write it and stop at the cap, so a refused report costs at most the cap, never the whole
 * text (which for a hostile profile can pass what a JavaScript string may hold).
 */
import { TooLargeError } from '../errors.js';
import { LIMITS } from '../limits.js';

export class OutputBudget {
  #used = 0;
  constructor(readonly maxChars: number = Infinity) {}

  /** Counts `chars` more characters of output; throws TooLargeError past the cap. */
  take(chars: number): void {
    this.#used += chars;
    if (this.#used > this.maxChars) throw outputTooLarge(this.maxChars);
  }

  /** Counts a line of `text` and its newline, and returns the text (for `out.push(budget.line(…))`). */
  line(text: string): string {
    this.take(text.length + 1);
    return text;
  }
}

/** A report's whole text, refused past the cap (undefined: none); for reports small enough to build first. */
export function withinOutputBudget(text: string, maxChars: number | undefined): string {
  if (maxChars !== undefined && text.length > maxChars) throw outputTooLarge(maxChars);
  return text;
}

export function outputTooLarge(maxChars: number): TooLargeError {
  const { flag } = LIMITS.maxOutputChars;
  return new TooLargeError(`the report would be more than ${maxChars} characters; narrow it with focus, show or tagfocus`, maxChars, flag);
}
