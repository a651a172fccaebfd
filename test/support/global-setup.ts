/** Jest global setup: the preflight of `npm test` already checked Postgres/Redis and made the certificate. */
export default async function globalSetup(): Promise<void> {}
