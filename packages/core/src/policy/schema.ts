import { z } from 'zod';

/**
 * The operator's policy file (MCP_POLICY_PATH, JSON or YAML): which scopes exist and how the consent
 * page describes them, the scope a client gets when it asks for none, and the MCP servers this issuer
 * protects, each with its own resource path, upstream and per-tool scopes. Everything that used to be
 * code (`scopes.ts`, the consent wording, one resource) comes from here; DEFAULT_POLICY below is what
 * a deployment without a file gets (the built-in demo tools).
 */

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
const scopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is printable ASCII without spaces, quotes or backslashes')
  .max(128);

/** One scope or several, in a list or space-separated: both are what operators write. */
const scopeList = z
  .union([scopeToken.array(), z.string().transform((s) => s.split(' ').filter(Boolean))])
  .pipe(scopeToken.array());

/** Name (a tool or prompt name, or a resource URI) → the scopes a caller needs for it. */
const requirements = z.record(z.string().min(1), scopeList);

const serverPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'a path starts with / and uses URL-safe characters')
  .transform((p) => p.replace(/\/+$/, '') || '/')
  .refine((p) => p !== '/', 'a server needs its own path, not /')
  .refine(
    (p) => !/^\/(oauth|\.well-known|healthz|readyz|metrics|admin|account)(\/|$)/.test(p),
    'this path belongs to the authorization server or the operations endpoints',
  );

export const serverPolicySchema = z.strictObject({
  /** Where the server is served under PUBLIC_URL; its resource URL (RFC 8707 `aud`) is PUBLIC_URL + path. */
  path: serverPath,
  /** Shown in its RFC 9728 metadata (`resource_name`). */
  name: z.string().min(1).max(200).optional(),
  /** A Streamable HTTP MCP server to forward to; without it the built-in demo tools are served. */
  upstream: z.url({ protocol: /^https?$/ }).optional(),
  /** Advertised in the resource metadata (`resource_documentation`). */
  documentation: z.url({ protocol: /^https?$/ }).optional(),
  /** Scopes needed for any request to this server (initialize, tools/list, …); default: default_scope. */
  required: scopeList.optional(),
  /** Scopes each tool needs on top of `required`; `tools/call` of a tool not listed needs only `required`. */
  tools: requirements.default({}),
  /** The same for `resources/read` by URI. */
  resources: requirements.default({}),
  /** The same for `prompts/get` by name. */
  prompts: requirements.default({}),
});

export const policyFileSchema = z
  .strictObject({
    /** Scope → what it lets an app do, in words a person can judge on the consent page. */
    scopes: z.record(scopeToken, z.string().min(1).max(300)).refine((s) => Object.keys(s).length > 0, {
      message: 'declare at least one scope',
    }),
    /** Granted when a client asks for no scope. */
    default_scope: scopeList.refine((s) => s.length > 0, 'name at least one scope'),
    servers: serverPolicySchema.array().min(1).optional(),
  })
  .superRefine((file, ctx) => {
    const declared = new Set(Object.keys(file.scopes));
    const undeclared = (where: (string | number)[], scopes: readonly string[]) => {
      for (const s of scopes) {
        if (!declared.has(s)) {
          ctx.addIssue({ code: 'custom', path: where, message: `scope "${s}" is not declared under scopes` });
        }
      }
    };
    undeclared(['default_scope'], file.default_scope);
    const paths = new Set<string>();
    file.servers?.forEach((server, i) => {
      if (paths.has(server.path)) {
        ctx.addIssue({
          code: 'custom',
          path: ['servers', i, 'path'],
          message: `${server.path} is used twice`,
        });
      }
      paths.add(server.path);
      undeclared(['servers', i, 'required'], server.required ?? []);
      for (const kind of ['tools', 'resources', 'prompts'] as const) {
        for (const [name, scopes] of Object.entries(server[kind]))
          undeclared(['servers', i, kind, name], scopes);
      }
    });
  });

export type PolicyFile = z.output<typeof policyFileSchema>;
export type ServerPolicyFile = z.output<typeof serverPolicySchema>;
