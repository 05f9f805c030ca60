import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocumentsText } from '../inventory/parse-yaml.js';
import { CliError } from './client.js';
import { isKansokuError } from '../lib/errors.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Every document under PATH (a file, a directory walked recursively in name order, or "-" for stdin). */
export function readDocuments(target: string): { documents: unknown[]; sources: string[]; files: string[] } {
  const files = target === '-' ? ['-'] : listFiles(target);
  if (files.length === 0) throw new CliError(`no .yaml, .yml or .json files under ${target}`, 1);
  const documents: unknown[] = [];
  const sources: string[] = [];
  for (const file of files) {
    const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
    const name = file === '-' ? 'stdin' : path.relative(process.cwd(), file) || file;
    try {
      for (const d of parseDocumentsText(text, name)) {
        documents.push(d.raw);
        sources.push(d.source);
      }
    } catch (err) {
      throw new CliError(isKansokuError(err) ? err.message : `${name}: ${(err as Error).message}`, 1);
    }
  }
  return { documents, sources, files };
}

function listFiles(target: string): string[] {
  let st;
  try {
    st = statSync(target);
  } catch {
    throw new CliError(`cannot read ${target}: no such file or directory`, 1);
  }
  if (st.isFile()) return [target];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(target);
  return out;
}
