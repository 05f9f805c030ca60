import { describe, expect, it } from 'vitest';
import { matchesLabels, parseLabelSelector } from './labels.js';

describe('matchesLabels (object label selectors)', () => {
  const labels = { service: 'Shop-Web', env: 'prod' };

  it('reads regexes as RE2, anchored, like a PromQL matcher', () => {
    expect(matchesLabels(labels, [{ name: 'service', op: '=~', value: '(?i)shop-.*' }])).toBe(true);
    expect(matchesLabels(labels, [{ name: 'service', op: '=~', value: 'Shop' }])).toBe(false);
    expect(matchesLabels(labels, [{ name: 'service', op: '=~', value: '\\QShop-\\E[[:alpha:]]+' }])).toBe(true);
    expect(matchesLabels(labels, [{ name: 'service', op: '!~', value: '(?i)SHOP-WEB' }])).toBe(false);
  });

  it('treats a missing label as the empty string', () => {
    expect(matchesLabels(labels, [{ name: 'team', op: '=', value: '' }])).toBe(true);
    expect(matchesLabels(labels, [{ name: 'team', op: '=~', value: '.+' }])).toBe(false);
  });

  it('combines with a parsed selector', () => {
    const sel = parseLabelSelector('env=prod,service=~(?i)shop-web');
    expect(matchesLabels(labels, sel)).toBe(true);
  });
});
