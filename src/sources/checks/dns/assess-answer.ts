/** Checks one server's reply against what the spec expects; returns what is wrong, in words. */
import { answersOfType, normalizeExpected } from './rdata.js';
import type { DnsRecordType, QueryOutcome } from './transport.js';

export interface AnswerExpectation {
  rcode: readonly string[];
  answers?: readonly string[];
  contains?: readonly string[];
  minAnswers: number;
  requireAuthoritative: boolean;
}

export interface Assessment {
  problems: string[];
  answers: string[];
}

export function assessAnswer(
  outcome: Extract<QueryOutcome, { ok: true }>,
  qname: string,
  type: DnsRecordType,
  expect: AnswerExpectation,
): Assessment {
  const problems: string[] = [];
  const answers = answersOfType(outcome.packet, type);
  if (!expect.rcode.includes(outcome.rcode)) {
    const wanted = expect.rcode.length === 1 ? expect.rcode[0] : `one of ${expect.rcode.join(', ')}`;
    const hint =
      outcome.rcode === 'REFUSED'
        ? ' (the server does not serve this zone or does not allow this client)'
        : outcome.rcode === 'SERVFAIL'
          ? ' (the server could not load or resolve the zone)'
          : outcome.rcode === 'NXDOMAIN'
            ? ' (the name does not exist)'
            : '';
    problems.push(`answered ${outcome.rcode} for ${qname} ${type}${hint}, expected ${wanted}`);
    return { problems, answers };
  }
  if (expect.requireAuthoritative && !outcome.packet.flag_aa) problems.push('answer is not authoritative (AA flag not set)');
  if (answers.length < expect.minAnswers) {
    problems.push(answers.length === 0 ? `no ${type} records for ${qname} (${outcome.rcode})` : `${answers.length} ${type} records, fewer than ${expect.minAnswers}`);
  }
  const have = new Set(answers);
  if (expect.contains) {
    const missing = expect.contains.map((e) => normalizeExpected(type, e)).filter((e) => !have.has(e));
    if (missing.length) problems.push(`answer lacks ${missing.join(', ')} (got ${answers.join(', ') || 'nothing'})`);
  }
  if (expect.answers) {
    const want = [...new Set(expect.answers.map((e) => normalizeExpected(type, e)))].sort();
    const got = [...have].sort();
    if (want.join('\n') !== got.join('\n')) problems.push(`answers ${got.join(', ') || 'nothing'}, expected exactly ${want.join(', ')}`);
  }
  return { problems, answers };
}
