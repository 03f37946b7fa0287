/**
 * profile.proto ids are uint64 labels: any value but 0 names a mapping, function or location, and
 * pprof accepts them all. A double holds them exactly only up to 2^53−1, so the decoder gives each
 * larger id a negative stand-in (−1, −2, …; never a real id) and keeps the exact value here for
 * messages. Two ids that differ only past the 53rd bit stay two objects. Normalization then numbers
 * everything 1…n as pprof's Merge does (first-use.ts), so no report sees a stand-in.
 */
export type IdKind = 'mapping' | 'function' | 'location';

export class BigIds {
  private readonly standIns: Record<IdKind, Map<bigint, number>> = { mapping: new Map(), function: new Map(), location: new Map() };
  private readonly exact = new Map<number, bigint>();

  /** The stand-in for `id` of this kind: the same one each time it is asked. */
  standIn(kind: IdKind, id: bigint): number {
    const known = this.standIns[kind].get(id);
    if (known !== undefined) return known;
    const s = -(this.exact.size + 1);
    this.standIns[kind].set(id, s);
    this.exact.set(s, id);
    return s;
  }

  /** True when this id of this kind was given a stand-in already. */
  has(kind: IdKind, id: bigint): boolean {
    return this.standIns[kind].has(id);
  }

  /** An id as written in the file, for messages. */
  text(id: number): string {
    return id < 0 ? String(this.exact.get(id) ?? id) : String(id);
  }
}
