export * from './address-policy.ts';
export * from './guarded-fetch.ts';
export * from './document-cache.ts';
