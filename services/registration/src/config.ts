import type { z } from 'zod';
import { commonEnv, loadConfig, port, postgresUrl } from '@mcp-auth/core';

export const registrationEnv = {
  ...commonEnv,
  PORT: port(3001),
  DATABASE_URL: postgresUrl,
};

export type RegistrationEnv = z.output<z.ZodObject<typeof registrationEnv>>;

export interface RegistrationConfig {
  /** PUBLIC_URL: the base of every `registration_client_uri` we hand out. */
  issuer: string;
}

export const registrationConfigFrom = (env: Pick<RegistrationEnv, 'PUBLIC_URL'>): RegistrationConfig => ({
  issuer: env.PUBLIC_URL,
});

export const loadRegistrationEnv = (env: NodeJS.ProcessEnv = process.env): RegistrationEnv =>
  loadConfig(registrationEnv, env);
