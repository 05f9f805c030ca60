import { describe, expect, it } from 'vitest';
import { messageFacts, renderHtml, renderShort, renderSpeech, renderText } from './message.js';
import { NOW, notificationOf, shopDownAlert } from '../testdata/fixtures.js';

const ja = { locale: 'ja' as const, timeZone: 'Asia/Tokyo', now: NOW };
const en = { locale: 'en' as const, timeZone: 'Asia/Tokyo', now: NOW };

describe('message templates', () => {
  it('puts 【重要】 first in a Japanese critical subject and [CRITICAL] in English', () => {
    expect(messageFacts(notificationOf([shopDownAlert()]), ja).subject).toBe('【重要】 ショップのトップページが応答しません - web-1.example.jp (service=shop)');
    expect(messageFacts(notificationOf([shopDownAlert({ annotations: { summary: 'Shop top page is down' } })]), en).subject).toBe('[CRITICAL] Shop top page is down - web-1.example.jp (service=shop)');
  });

  it('marks each severity and a resolution in the subject', () => {
    const subject = (sev: 'error' | 'warning' | 'info', locale: typeof ja | typeof en) => messageFacts(notificationOf([shopDownAlert({ severity: sev })]), locale).subject.split(' ')[0];
    expect([subject('error', ja), subject('warning', ja), subject('info', ja)]).toEqual(['【障害】', '【警告】', '【情報】']);
    expect([subject('error', en), subject('warning', en), subject('info', en)]).toEqual(['[ERROR]', '[WARNING]', '[INFO]']);
    const resolved = notificationOf([shopDownAlert({ status: 'resolved', endsAt: '2026-03-02T00:12:30.000Z' })]);
    expect(messageFacts(resolved, ja).subject.startsWith('【復旧】 ')).toBe(true);
    expect(messageFacts(resolved, en).subject.startsWith('[RESOLVED] ')).toBe(true);
    expect(renderText(messageFacts(resolved, ja))).toContain('継続時間 12分30秒');
  });

  it('says what, where, since when, severity, value, impact and the runbook first step', () => {
    const text = renderText(messageFacts(notificationOf([shopDownAlert()]), ja));
    expect(text).toContain('■ ショップのトップページが応答しません');
    expect(text).toContain('重要度: 重要 (critical)');
    expect(text).toContain('対象: web-1.example.jp (service=shop)');
    expect(text).toContain('発生時刻: 2026-03-02 09:00:00 JST（15分前から継続中）');
    expect(text).toContain('現在値: 0 / 3 拠点で成功');
    expect(text).toContain('影響: 顧客が商品を購入できません');
    expect(text).toContain('手順書: ショップ停止時の対応 https://runbooks.example.jp/shop-top-down');
    expect(text).toContain('最初の手順: nginx の状態を確認する: systemctl status nginx');
    const english = renderText(messageFacts(notificationOf([shopDownAlert({ annotations: { summary: 'Shop down' }, runbook: undefined })]), { ...en, timeZone: 'UTC' }));
    expect(english).toContain('Since: 2026-03-02 00:00:00 UTC (for 15m)');
    expect(english).toContain('Impact: (impact not stated: add annotations.impact to the rule)');
    expect(english).toContain('Runbook: (no runbook: link one to the rule)');
  });

  it('counts further alerts in the subject and separates firing from resolved in the body', () => {
    const n = notificationOf([
      shopDownAlert(),
      shopDownAlert({ fingerprint: 'b', labels: { alertname: 'ShopTopDown', instance: 'web-2' } }),
      shopDownAlert({ fingerprint: 'c', status: 'resolved', endsAt: '2026-03-02T00:05:00Z', labels: { alertname: 'ShopTopDown', instance: 'web-3' } }),
    ]);
    const m = messageFacts(n, ja);
    expect(m.subject.endsWith(' 他1件')).toBe(true);
    const text = renderText(m);
    expect(text).toContain('== 発生中のアラート (2) ==');
    expect(text).toContain('== 復旧したアラート (1) ==');
  });

  it('escapes HTML and links the runbook in the HTML part', () => {
    const html = renderHtml(messageFacts(notificationOf([shopDownAlert({ annotations: { summary: '<script>x</script>', impact: 'a & b' } })]), ja));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a &amp; b');
    expect(html).toContain('<a href="https://runbooks.example.jp/shop-top-down">');
    expect(html).toContain('#b00020');
  });

  it('keeps SMS within the limit and speaks without URLs', () => {
    const m = messageFacts(notificationOf([shopDownAlert({ annotations: { summary: 'x'.repeat(3000) } })]), en);
    expect([...renderShort(m, 160)]).toHaveLength(160);
    const speech = renderSpeech(messageFacts(notificationOf([shopDownAlert()]), ja));
    expect(speech.startsWith('観測からの重要なお知らせです。')).toBe(true);
    expect(speech).toContain('最初の手順は、nginx の状態を確認する');
    expect(speech).not.toContain('https://');
  });
});
