/**
 * A map keyed by an object's numeric id. Within one profile ids are unique (the decoder rejects
 * duplicates), so the id stands for the object; small ids (the usual case: 1…n) index an array, which
 * is many times faster than a Map keyed by object on the per-frame hot paths.
 */
export class IdMap<V> {
  private static readonly DENSE_LIMIT = 1 << 24;
  private dense: (V | undefined)[] = [];
  private sparse = new Map<number, V>();

  // Takes the id rather than the object: one `k.id` here would see every object shape that any map
  // is keyed by, and a megamorphic property access costs more than the whole lookup.
  get(id: number): V | undefined {
    return id >= 0 && id < IdMap.DENSE_LIMIT ? this.dense[id] : this.sparse.get(id);
  }

  set(id: number, v: V): void {
    if (id >= 0 && id < IdMap.DENSE_LIMIT) {
      // Grow by filling, never by writing past the end: a far write turns the array into a slow dictionary.
      while (this.dense.length <= id) this.dense.push(undefined);
      this.dense[id] = v;
    } else {
      this.sparse.set(id, v);
    }
  }

  clear(): void {
    this.dense = [];
    this.sparse.clear();
  }
}
