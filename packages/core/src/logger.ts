import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (a command-line tool whose stdout is its answer passes stderr, fd 2);
 * credentials never reach them.
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
    // stdout as before (pino's default destination); stderr only when asked.
    fd === 1 ? undefined : pino.destination({ fd: 2, sync: true }),
  );
}
