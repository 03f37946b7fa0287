/**
 * Bounds on demangling. Names come from uploaded profiles: a few hundred bytes can nest templates
 * thousands deep or refer back to substitutions so that the output doubles at every step. Go's
 * demangler has no such bounds (pprof can crash or hang on those); past them we keep the name as it
 * is. A profile's names share one more bound, so that thousands of costly names cannot add up.
 */

/**
 * Not a demangling error: it escapes the parser's backtracking and ends the whole attempt. Not an
 * Error either: the stack trace an Error captures would cost more than most names' demangling.
 */
export class BudgetError {
  constructor(readonly message: string) {}
}

export const budget = {
  steps: 0,
  maxSteps: 0,
  maxDepth: 0,
  /** what is left of the batch's (a profile's) steps */
  left: 0,
  /** Starts a name's attempt. */
  reset(maxSteps: number, maxDepth: number, left: number): void {
    this.steps = 0;
    this.maxSteps = maxSteps;
    this.maxDepth = maxDepth;
    this.left = left;
  },
  /** One unit of work: a parsed, copied, traversed or printed node. */
  tick(): void {
    if (++this.steps > this.maxSteps || --this.left < 0) throw new BudgetError('demangling takes too long');
  },
};
