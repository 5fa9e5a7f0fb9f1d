/** Plain log lines on stderr: time, level, message. Nothing secret ever reaches a message. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(
  level: LogLevel = (process.env.TOKENLEDGER_LOG_LEVEL as LogLevel | undefined) ?? 'info'
): Logger {
  const threshold = ORDER[level] ?? ORDER.info;
  const write = (l: LogLevel) => (msg: string) => {
    if (ORDER[l] >= threshold) process.stderr.write(`${new Date().toISOString()} ${l.padEnd(5)} ${msg}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
