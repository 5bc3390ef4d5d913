import { createServer } from 'node:net';

/**
 * Binds `port` on 127.0.0.1 and releases it: resolves with the port (a free one when `port` is 0),
 * rejects when it is taken. Someone else may take it in between; callers that can, retry.
 */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export const isPortFree = (port: number): Promise<boolean> =>
  freePort(port).then(
    () => true,
    () => false,
  );
