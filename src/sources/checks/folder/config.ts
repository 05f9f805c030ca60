import { z } from 'zod';
import { durationSchema } from '../../../core/duration.js';
import { checkCommonFields } from '../check-type.js';
import { byteSizeSchema } from './byte-size.js';
import { globError } from './glob.js';

const globSchema = z.string().min(1).superRefine((g, ctx) => {
  const err = globError(g);
  if (err) ctx.addIssue({ code: 'custom', message: err });
});

/** Limits for one level; a level is reached when any of its limits is broken. */
export const folderLimitsSchema = z
  .object({
    maxCount: z.number().int().min(0).optional().describe('more matching files than this breaks the limit (a queue that does not drain)'),
    minCount: z.number().int().min(0).optional().describe('fewer matching files than this breaks the limit (expected files missing)'),
    maxAge: durationSchema.optional().describe('a file older than this breaks the limit, e.g. "10m": no file may wait longer in the queue'),
    maxNewestAge: durationSchema.optional().describe('when even the newest file is older than this, e.g. "25h" for a daily backup'),
    maxSize: byteSizeSchema.optional().describe('total size of the matching files above this breaks the limit'),
    minSize: byteSizeSchema.optional().describe('total size below this breaks the limit'),
  })
  .strict();

export const folderCheckSpecSchema = z
  .object({
    type: z.literal('folder'),
    ...checkCommonFields,
    path: z.string().min(1).describe('the folder to look into; missing → CRITICAL'),
    glob: globSchema.default('*').describe('which files count, e.g. "*.xml" or "**/*.eml"; * does not cross "/", a pattern without "/" matches base names'),
    exclude: z.array(globSchema).default([]).describe('files to leave out, e.g. ["*.tmp", ".*"]'),
    recursive: z.boolean().default(false).describe('descend into subfolders (symbolic links are not followed)'),
    maxEntries: z.number().int().min(1).max(10_000_000).default(100_000).describe('stop scanning after this many directory entries'),
    warning: folderLimitsSchema.default({}).describe('WARNING limits'),
    critical: folderLimitsSchema.default({}).describe('CRITICAL limits'),
  })
  .strict();

export type FolderLimits = z.infer<typeof folderLimitsSchema>;
export type FolderCheckSpec = z.infer<typeof folderCheckSpecSchema>;
