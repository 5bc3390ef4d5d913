export * from './schema.ts';
export * from './policy.ts';
