// Private test helpers shared by the Portcullis packages. Re-exports only.
export { configuredServerUrl, createTestDatabase, NEEDS_MULTI_SESSION } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export { freePort, startEmbeddedPostgres } from './embedded-postgres.js';
export type { EmbeddedPostgres } from './embedded-postgres.js';
// OpenSSH server for the ssh adapter's tests
export { sshdUnavailable, startTestSshd } from './test-sshd.js';
export type { LogMark, TestSshd } from './test-sshd.js';
export { randomAwsKeyId, randomGithubToken } from './test-secrets.js';
