// Imports every package's built entry from a plain ESM script, the way a user's code would,
// through the package name (node_modules links) and its exports map.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const dirs = await readdir(new URL('packages/', root));
let failed = 0;
for (const dir of dirs.sort()) {
  const pkg = JSON.parse(await readFile(new URL(`packages/${dir}/package.json`, root), 'utf8'));
  // Resolve as a dependant would: from inside the package's own folder.
  const require = createRequire(new URL(`packages/${dir}/package.json`, root));
  for (const subpath of Object.keys(pkg.exports ?? {})) {
    if (subpath === './package.json') continue;
    const specifier = pkg.name + subpath.slice(1);
    try {
      const mod = await import(new URL(`packages/${dir}/${pkg.exports[subpath].default}`, root).href);
      require.resolve(specifier); // the exports map resolves without the source condition
      console.log(`ok   ${specifier} (${Object.keys(mod).length} exports)`);
    } catch (err) {
      failed++;
      console.error(`FAIL ${specifier}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
process.exit(failed === 0 ? 0 : 1);
