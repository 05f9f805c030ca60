import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The CLI's client verbs must stay light: starting `kansoku apply` must not load Fastify, a
 * database driver or chDB's 500 MB library. Static imports are followed from each entry; dynamic
 * `await import()` (how verbs and engines are loaded on demand) is not.
 */
const SRC = path.dirname(fileURLToPath(import.meta.url));
const HEAVY = ['chdb', 'fastify', '@clickhouse/client', 'better-sqlite3', 'pg', 'kysely', '@fastify/swagger'];

function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

function reachable(entry: string): { packages: Set<string>; files: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of staticImports(f)) {
      if (spec.startsWith('.')) {
        const ts = path.resolve(path.dirname(f), spec).replace(/\.js$/, '.ts');
        if (existsSync(ts)) stack.push(ts);
      } else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { packages, files };
}

describe('import graph', () => {
  it('follows static imports (the server entry reaches Fastify)', () => {
    expect(reachable(path.join(SRC, 'api/app.ts')).packages.has('fastify')).toBe(true);
    expect(reachable(path.join(SRC, 'main.ts')).packages.has('commander')).toBe(true);
  });

  for (const entry of ['main.ts', 'cli/commands/config-as-code.ts', 'cli/commands/objects.ts', 'cli/commands/tokens.ts', 'cli/commands/audit.ts']) {
    it(`${entry} loads no server, driver or chDB module statically`, () => {
      const { packages, files } = reachable(path.join(SRC, entry));
      expect(files.size).toBeGreaterThan(1);
      expect([...packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    });
  }

  it('agent/main.ts (the probe agent) reaches the probes but no server, store, driver or chDB module', () => {
    const { packages, files } = reachable(path.join(SRC, 'agent/main.ts'));
    expect([...files].some((f) => f.endsWith(`sources${path.sep}checks${path.sep}http${path.sep}index.ts`))).toBe(true);
    expect([...packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    const layers = ['store', 'server', 'api', 'inventory'].map((d) => `${path.sep}src${path.sep}${d}${path.sep}`);
    expect([...files].filter((f) => layers.some((l) => f.includes(l)))).toEqual([]);
  });

  it('the check probes (which the agent will run) do not reach the server or the stores', () => {
    const { packages, files } = reachable(path.join(SRC, 'sources/checks/http/index.ts'));
    expect([...packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    expect([...files].some((f) => f.includes(`${path.sep}store${path.sep}`) || f.includes(`${path.sep}server${path.sep}`))).toBe(false);
  });
});
