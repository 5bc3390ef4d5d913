import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, waitForHttp, type StackProcess } from './process.ts';

/**
 * The gateway outside Docker: Debian's nginx with deploy/gateway's template rendered the way the
 * official nginx image renders it, plus a small main configuration of our own (the image brings
 * its own) that keeps pid, logs and temporary files in the stack's directory.
 */

export const gatewayTemplate = fileURLToPath(
  new URL('../../deploy/gateway/templates/default.conf.template', import.meta.url),
);
export const NGINX = process.env.STACK_NGINX ?? '/usr/sbin/nginx';

export class GatewayError extends Error {
  override name = 'GatewayError';
}

/**
 * envsubst as the nginx image runs it: only variables whose names match NGINX_ENVSUBST_FILTER are
 * replaced. A matching variable that is not set would reach nginx as literal text; fail here instead.
 */
export function renderTemplate(template: string, env: Record<string, string>): string {
  const filter = new RegExp(env.NGINX_ENVSUBST_FILTER ?? '');
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
    if (!filter.test(name)) return match;
    const value = env[name];
    if (value === undefined) throw new GatewayError(`gateway template: ${name} is not set`);
    return value;
  });
}

function mainConfig(dir: string, tempDir: string, include: string): string {
  return `# Written by scripts/stack/gateway.ts for a local run; the container uses the nginx image's own.
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
    # Child stdout is a socket, which nginx cannot open by path: the access log is a file here.
    access_log ${join(dir, 'access.log')};
    client_body_temp_path ${join(tempDir, 'client_body')};
    proxy_temp_path ${join(tempDir, 'proxy')};
    fastcgi_temp_path ${join(tempDir, 'fastcgi')};
    uwsgi_temp_path ${join(tempDir, 'uwsgi')};
    scgi_temp_path ${join(tempDir, 'scgi')};
    include ${include};
}
`;
}

export interface GatewayOptions {
  /** The gateway service's environment from docker-compose.yml, already mapped to local addresses. */
  env: Record<string, string>;
  /** Port on 127.0.0.1 to listen on. */
  port: number;
  /** A directory of its own for configuration, pid and temporary files. */
  dir: string;
  onOutput?: (line: string) => void;
}

export async function startGateway(opts: GatewayOptions): Promise<StackProcess & { url: string }> {
  await mkdir(opts.dir, { recursive: true });
  // Started as root, nginx runs its workers as nobody, who buffer large bodies in the temporary
  // paths; those must lie where nobody can reach them, which the stack's directory may not be.
  const tempDir = await mkdtemp(join(tmpdir(), 'mcp-auth-nginx-'));
  await chmod(tempDir, 0o755);
  const conf = renderTemplate(await readFile(gatewayTemplate, 'utf8'), {
    ...opts.env,
    GATEWAY_LISTEN: `127.0.0.1:${opts.port}`,
  });
  const confPath = join(opts.dir, 'gateway.conf');
  const mainPath = join(opts.dir, 'nginx.conf');
  await writeFile(confPath, conf);
  await writeFile(mainPath, mainConfig(opts.dir, tempDir, confPath));

  const check = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const t = spawn(NGINX, ['-t', '-q', '-p', opts.dir, '-c', mainPath, '-e', 'stderr'], { stdio: 'pipe' });
    let output = '';
    t.stderr.on('data', (c: Buffer) => (output += c.toString()));
    t.on('error', (err) => reject(new GatewayError(`cannot run ${NGINX}: ${err.message}`)));
    t.on('exit', (code) => resolve({ code, output }));
  });
  if (check.code !== 0) {
    await rm(tempDir, { recursive: true, force: true });
    throw new GatewayError(`nginx rejects the gateway configuration:\n${check.output}`);
  }

  const proc = startProcess('gateway', NGINX, ['-p', opts.dir, '-c', mainPath, '-e', 'stderr'], {
    env: { PATH: process.env.PATH ?? '' },
    onOutput: opts.onOutput,
    // SIGTERM is nginx's fast shutdown: open streams (SSE) must not hold the stack up.
    stopSignal: 'SIGTERM',
  });
  const removeTemp = () => rm(tempDir, { recursive: true, force: true });
  void proc.exited.then(removeTemp);
  const url = `http://127.0.0.1:${opts.port}`;
  await waitForHttp(`${url}/healthz`, proc);
  return {
    ...proc,
    url,
    async stop(graceMs?: number) {
      const code = await proc.stop(graceMs);
      await removeTemp();
      return code;
    },
  };
}
