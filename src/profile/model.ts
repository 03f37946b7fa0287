/**
 * The typed Profile: profile.proto with every id and string index resolved.
 *
 * Values are JS numbers. The decoder guarantees every value and every per-column
 * sum of absolute values stays within ±2^53, so all arithmetic on them is exact
 * (a profile beyond that is rejected as `value overflow` rather than silently
 * rounded or wrapped as pprof does).
 */

export interface ValueType {
  type: string;
  unit: string;
}

export interface Mapping {
  id: number;
  start: bigint;
  limit: bigint;
  offset: bigint;
  file: string;
  buildId: string;
  hasFunctions: boolean;
  hasFilenames: boolean;
  hasLineNumbers: boolean;
  hasInlineFrames: boolean;
}

export interface ProfileFunction {
  id: number;
  name: string;
  systemName: string;
  filename: string;
  startLine: number;
}

export interface Line {
  function: ProfileFunction;
  line: number;
}

export interface Location {
  id: number;
  /** undefined when mapping_id is 0 */
  mapping: Mapping | undefined;
  /** uint64; kept exact because kernel addresses exceed 2^53 */
  address: bigint;
  /** innermost (inlined callee) first, the out-of-line function last */
  lines: Line[];
  isFolded: boolean;
}

export interface Sample {
  /** leaf first, root last */
  locations: Location[];
  /** one per sample type */
  values: number[];
  /** string labels: key → values (in the order seen); undefined when the sample has none */
  labels: Record<string, string[]> | undefined;
  /** numeric labels: key → values; undefined when the sample has none */
  numLabels: Record<string, number[]> | undefined;
  /** numeric label units, parallel to numLabels, padded with "" */
  numUnits: Record<string, string[]> | undefined;
}

export interface Profile {
  sampleTypes: ValueType[];
  samples: Sample[];
  mappings: Mapping[];
  locations: Location[];
  functions: ProfileFunction[];
  dropFrames: string;
  keepFrames: string;
  /** int64 nanoseconds since the epoch, exact (-raw prints them all); 0n when absent */
  timeNanos: bigint;
  durationNanos: number;
  periodType: ValueType;
  period: number;
  comments: string[];
  defaultSampleType: string;
}
