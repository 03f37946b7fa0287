/**
 * Structured logs: one JSON object per line on stdout. Request lines carry ids, routes, sizes and
 * times only, never profile content or option values (a focus regexp can name private code).
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(fields: LogFields): void;
  error(fields: LogFields): void;
}

export function createLogger(enabled: boolean, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: string, fields: LogFields) => {
    if (!enabled) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, ...fields }) + '\n');
  };
  return {
    info: (fields) => emit('info', fields),
    error: (fields) => emit('error', fields),
  };
}
