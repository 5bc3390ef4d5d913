/**
 * What the authorization server reuses from registration: the one set of client metadata rules
 * (RFC 7591) and the columns they map to. A Client ID Metadata Document is client metadata that
 * the client publishes instead of registering, so it passes exactly the same checks.
 */
export { validateClientMetadata } from './metadata/validate.ts';
export type { ClientMetadata } from './metadata/schema.ts';
export { metadataColumns } from './client-record.ts';
