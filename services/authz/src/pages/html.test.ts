import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml } from './html.ts';

describe('escapeHtml', () => {
  it('escapes every character that can open markup or end an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('leaves plain text alone', () => {
    expect(escapeHtml('My App 1.0 (beta)')).toBe('My App 1.0 (beta)');
  });
});

describe('html', () => {
  it('escapes interpolated strings', () => {
    const name = '<script>alert(1)</script>';
    expect(html`<p>${name}</p>`.value).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('escapes values inside attributes', () => {
    const value = '" autofocus onfocus="alert(1)';
    expect(html`<input value="${value}" />`.value).toBe(
      '<input value="&quot; autofocus onfocus=&quot;alert(1)" />',
    );
  });

  it('nests templates without escaping them twice', () => {
    const inner = html`<b>${'a&b'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>a&amp;b</b></p>');
  });

  it('renders arrays item by item, escaping strings', () => {
    // prettier-ignore
    expect(html`<ul>${['<x>', html`<li>y</li>`]}</ul>`.value).toBe('<ul>&lt;x&gt;<li>y</li></ul>');
  });

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    expect(html`${null}${undefined}${false}${0}${true}`.value).toBe('0true');
  });

  it('returns SafeHtml', () => {
    expect(html`x`).toBeInstanceOf(SafeHtml);
  });
});
