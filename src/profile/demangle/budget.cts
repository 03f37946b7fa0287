/**
 * Bounds on one name's demangling. Names come from uploaded profiles: a few hundred bytes can
 * nest templates thousands deep or refer back to substitutions so that the output doubles at every
 * step. Go's demangler has no such bounds (pprof can crash or hang on those); past them we keep the
 * name as it is.
 */

/** Not a demangling error: it escapes the parser's backtracking and ends the whole attempt. */
export class BudgetError extends Error {}

export const budget = {
  steps: 0,
  maxSteps: 0,
  maxDepth: 0,
  /** Starts a name's attempt. */
  reset(maxSteps: number, maxDepth: number): void {
    this.steps = 0;
    this.maxSteps = maxSteps;
    this.maxDepth = maxDepth;
  },
  /** One unit of work: a parsed, copied, traversed or printed node. */
  tick(): void {
    if (++this.steps > this.maxSteps) throw new BudgetError('demangling takes too long');
  },
};
