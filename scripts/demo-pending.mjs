// `pnpm demo` until the PostgreSQL adapter lands: say so instead of pretending.
console.error('The agent demo arrives with the PostgreSQL adapter (@portcullis/pg); nothing to run yet.');
process.exit(1);
