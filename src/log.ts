// Structured logs: one JSON object per line on stdout, as log collectors expect.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export const LEVELS = Object.keys(ORDER) as Level[];

/**
 * LOG_LEVEL in any case; unset or blank means info. Anything else throws: a typo silently read as
 * info would hide the debug lines someone asked for in an incident.
 */
export function parseLevel(s: string | undefined): Level {
  if (s === undefined || s.trim() === '') return 'info';
  const level = s.trim().toLowerCase();
  if (Object.hasOwn(ORDER, level)) return level as Level;
  throw new Error(`LOG_LEVEL ${JSON.stringify(s)} is not a level; use one of ${LEVELS.join(', ')} (in any case)`);
}

export function createLogger(level: Level = 'info', write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  const at = (lvl: Level) => (msg: string, fields: Fields = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('error', () => {});
