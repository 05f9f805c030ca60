/**
 * `type: folder` — count, age and total size of the files matching a glob under a folder, against
 * WARNING / CRITICAL limits ("no file older than 10 minutes in the outgoing queue").
 */
import type { CheckType } from '../check-type.js';
import { folderCheckSpecSchema, type FolderCheckSpec } from './config.js';
import { runFolderCheck } from './probe.js';

export { folderCheckSpecSchema, folderLimitsSchema, type FolderCheckSpec, type FolderLimits } from './config.js';
export { compileGlob, globToRegExp } from './glob.js';
export { parseByteSize, formatBytes } from './byte-size.js';
export { scanFolder, type FolderScan, type ScanOptions } from './scan-folder.js';
export { brokenLimits, rateFolderScan } from './probe.js';

export const folderCheck: CheckType<FolderCheckSpec> = {
  type: 'folder',
  specSchema: folderCheckSpecSchema,
  run: runFolderCheck,
  targetHost: () => undefined,
};
