// Validate a glTF/GLB file with the Khronos glTF-Validator and print its JSON report on stdout.
// Usage: node tools/validate_gltf.mjs path/to/file.glb [--max-issues N]
// Exit code: 0 when the report has no errors, 1 when it has errors, 2 on usage or I/O problems.
import { readFile } from 'node:fs/promises';
import * as validator from 'gltf-validator';

const args = process.argv.slice(2);
if (args.length < 1) {
  console.error('usage: node tools/validate_gltf.mjs <file.glb> [--max-issues N]');
  process.exit(2);
}
const maxAt = args.indexOf('--max-issues');
const maxIssues = maxAt >= 0 ? Number(args[maxAt + 1]) : 200;

try {
  const data = new Uint8Array(await readFile(args[0]));
  const report = await validator.validateBytes(data, {
    maxIssues,
    // Product images and merchant models are embedded; nothing external may be referenced.
    externalResourceFunction: (uri) => Promise.reject(new Error(`external resource not allowed: ${uri}`)),
  });
  process.stdout.write(JSON.stringify(report));
  process.exit(report.issues.numErrors === 0 ? 0 : 1);
} catch (err) {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(2);
}
