/** Splits a golden's pprof flags into the report's regexp, -source_path and the remaining report options. */
export function splitReportFlags(flags: string[], report: '-peek' | '-list'): { regex: string; sourcePath?: string; options: Record<string, string> } {
  let regex: string | undefined;
  let sourcePath: string | undefined;
  const options: Record<string, string> = {};
  for (const f of flags) {
    const m = /^--?([a-z_]+)(?:=(.*))?$/s.exec(f);
    if (!m) throw new Error(`unexpected flag ${f}`);
    const [, name, value] = m;
    if ('-' + name === report) regex = value ?? '';
    else if (name === 'source_path') sourcePath = value ?? '';
    else options[name!] = value ?? 'true';
  }
  if (regex === undefined) throw new Error(`no ${report} in ${flags.join(' ')}`);
  return { regex, sourcePath, options };
}
