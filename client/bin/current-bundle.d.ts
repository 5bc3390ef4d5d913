/** The CLI bundle to run when it is current, else null (see current-bundle.js). */
export function currentBundle(root: URL): URL | null;
