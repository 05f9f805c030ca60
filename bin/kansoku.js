#!/usr/bin/env -S node --max-semi-space-size=64
// The published entry point: runs the compiled CLI (npm run build writes dist/).
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    process.stderr.write('kansoku: dist/ is missing; run `npm run build` first\n');
    process.exit(2);
  }
  throw err;
});
