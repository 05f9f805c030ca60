import { z } from 'zod';
import { checkCommonFields } from '../check-type.js';
import { splitArgv } from './split-argv.js';

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const commandCheckSpecSchema = z
  .object({
    type: z.literal('command'),
    ...checkCommonFields,
    command: z
      .union([z.array(z.string()).min(1), z.string().min(1)])
      .describe(
        'the plugin to run: an argv array (["/usr/lib/nagios/plugins/check_disk", "-w", "10%"]) or a string split into words like a shell would, but run without one unless shell is true',
      ),
    shell: z.boolean().default(false).describe('run a string command with /bin/sh -c (pipes, variables); off by default'),
    env: z
      .record(z.string().regex(ENV_NAME_RE, 'environment variable names are letters, digits and _'), z.string())
      .default({})
      .describe('extra environment variables; the plugin otherwise sees only PATH, HOME, TZ and LANG=C'),
    cwd: z.string().min(1).optional().describe('working directory of the plugin'),
    timeoutStatus: z
      .enum(['unknown', 'critical'])
      .default('unknown')
      .describe('status reported when the plugin exceeds timeout (Nagios: UNKNOWN by default, CRITICAL with -t ...:CRITICAL)'),
    maxOutputBytes: z
      .number()
      .int()
      .min(256)
      .max(1024 * 1024)
      .default(64 * 1024)
      .describe('stdout kept from the plugin; the rest is dropped'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (typeof spec.command === 'string' && !spec.shell) {
      const r = splitArgv(spec.command);
      if ('error' in r) ctx.addIssue({ code: 'custom', path: ['command'], message: `cannot split the command into words: ${r.error}` });
    }
    if (Array.isArray(spec.command) && spec.shell) {
      ctx.addIssue({ code: 'custom', path: ['shell'], message: 'shell: true needs command as one string, not an argv array' });
    }
    if (Array.isArray(spec.command) && spec.command[0] === '') {
      ctx.addIssue({ code: 'custom', path: ['command', 0], message: 'the program name must not be empty' });
    }
  });

export type CommandCheckSpec = z.infer<typeof commandCheckSpecSchema>;

/** The argv actually executed for a spec (validated specs always split). */
export function commandArgv(spec: Pick<CommandCheckSpec, 'command' | 'shell'>): string[] {
  if (Array.isArray(spec.command)) return [...spec.command];
  if (spec.shell) return ['/bin/sh', '-c', spec.command];
  const r = splitArgv(spec.command);
  if ('error' in r) throw new Error(`invalid command: ${r.error}`);
  return r.argv;
}
