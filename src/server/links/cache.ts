/**
 * Rendering an artifact once: concurrent requests share one render (SingleFlight), and the hottest
 * artifacts stay in memory in front of the store (ArtifactMemo).
 */
import type { StoredArtifact } from '../../store/index.js';
import type { LinksDeps } from '../deps.js';

/**
 * Concurrent requests for the same uncached artifact render it once: the first starts the work,
 * the others wait for its result (or its error). In-process only; replicas may each render once.
 */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): { result: Promise<T>; joined: boolean } {
    const running = this.#running.get(key);
    if (running !== undefined) return { result: running, joined: true };
    const result = work().finally(() => this.#running.delete(key));
    this.#running.set(key, result);
    return { result, joined: false };
  }
}

/**
 * The hottest artifacts in memory, in front of the store: a cached link then costs no database
 * read (on PostgreSQL a round trip, and the decoding of the body from hex). An entry holds until
 * its profile expires — until then its key (a content address and options) always means the same
 * bytes — and past the byte cap the least recently used go first.
 */
export class ArtifactMemo {
  /** in use order: least recently used first */
  readonly #entries = new Map<string, { artifact: StoredArtifact; until: number }>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string, now: number): StoredArtifact | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.until) {
      this.#bytes -= entry.artifact.body.byteLength;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.artifact;
  }

  put(key: string, artifact: StoredArtifact): void {
    const size = artifact.body.byteLength;
    // One large graph must not push out everything else.
    if (size > this.maxBytes / 8) return;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= old.artifact.body.byteLength;
    }
    this.#entries.set(key, { artifact, until: artifact.profileExpiresAt?.getTime() ?? Infinity });
    this.#bytes += size;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.artifact.body.byteLength;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }
}

/** One map of renders in flight per server (its store handle), whoever asks. */
const flightsByStore = new WeakMap<object, SingleFlight<StoredArtifact>>();

export function flightsOf(deps: LinksDeps): SingleFlight<StoredArtifact> {
  let flights = flightsByStore.get(deps.store);
  if (flights === undefined) flightsByStore.set(deps.store, (flights = new SingleFlight<StoredArtifact>()));
  return flights;
}
