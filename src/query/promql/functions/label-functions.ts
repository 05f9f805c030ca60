import type { Labels } from '../../../core/labels.js';
import { PromqlEvalError } from '../errors.js';
import type { Sample } from '../eval/values.js';
import { compileAnchoredRegex, METRIC_NAME } from '../labels.js';

function validLabelName(name: string): boolean {
  // Prometheus 3 accepts any valid UTF-8 label name that is not empty.
  return name.length > 0 && !/[\uD800-\uDFFF]/.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

/** Expands `$1`, `${1}`, `$name`, `${name}` and `$$` like Go's Regexp.ExpandString. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const candidate = close < 0 ? '' : template.slice(i + 2, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(candidate)) {
        name = candidate;
        end = close;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + m[0].length;
      }
    }
    if (name === undefined) {
      out += c;
      continue;
    }
    if (/^[0-9]+$/.test(name)) {
      out += match[Number(name)] ?? '';
    } else {
      out += match.groups?.[name] ?? '';
    }
    i = end;
  }
  return out;
}

function setLabel(labels: Labels, name: string, value: string): Labels {
  const out: Labels = { ...labels };
  if (value === '') delete out[name];
  else out[name] = value;
  return out;
}

export function labelReplace(vec: Sample[], dst: string, repl: string, src: string, regex: string): Sample[] {
  let re: RegExp;
  try {
    re = compileAnchoredRegex(regex);
  } catch {
    throw new PromqlEvalError(`invalid regular expression in label_replace(): ${regex}`);
  }
  if (!validLabelName(dst)) throw new PromqlEvalError(`invalid destination label name in label_replace(): ${dst}`);
  return vec.map((s) => {
    const m = re.exec(s.labels[src] ?? '');
    if (!m) return s;
    const labels = setLabel(s.labels, dst, expandTemplate(repl, m));
    return { labels, value: s.value, dropName: dst === METRIC_NAME ? false : s.dropName };
  });
}

export function labelJoin(vec: Sample[], dst: string, sep: string, srcs: string[]): Sample[] {
  for (const s of srcs) {
    if (!validLabelName(s)) throw new PromqlEvalError(`invalid source label name in label_join(): ${s}`);
  }
  if (!validLabelName(dst)) throw new PromqlEvalError(`invalid destination label name in label_join(): ${dst}`);
  return vec.map((s) => {
    const joined = srcs.map((n) => s.labels[n] ?? '').join(sep);
    return { labels: setLabel(s.labels, dst, joined), value: s.value, dropName: dst === METRIC_NAME ? false : s.dropName };
  });
}
