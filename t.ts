import { createMasker } from './packages/core/src/mask/create-masker.js';
const m = createMasker();
for (const t of process.argv.slice(2)) console.log(JSON.stringify(m.maskText(t.replace(/\\n/g, '\n')).text));
