import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, renderWebviewHtml } from '../../../src/extension/webview/html';

describe('webview HTML', () => {
  const page = { title: 'Atelier <Canvas>', scriptUri: 'https://x/canvas.js', styleUri: 'https://x/canvas.css' };

  it('has a strict CSP with a fresh nonce per render, and the script carries it', () => {
    const a = renderWebviewHtml({ cspSource: 'https://self' }, page);
    const b = renderWebviewHtml({ cspSource: 'https://self' }, page);
    const nonce = (html: string) => /nonce="([^"]+)"/.exec(html)?.[1];
    expect(nonce(a)).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonce(a)).not.toBe(nonce(b));
    expect(a).toContain(`<script type="module" nonce="${nonce(a)}" src="https://x/canvas.js">`);
    // The same nonce is in the CSP meta tag (quotes HTML-escaped there).
    expect(a).toContain(`&#39;nonce-${nonce(a)}&#39;`);
    expect(a).toContain('Atelier &#60;Canvas&#62;');
  });

  it('allows nothing by default, scripts by nonce only, WebAssembly but no eval', () => {
    const csp = contentSecurityPolicy('https://self', 'N');
    expect(csp.split('; ')[0]).toBe("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-N' 'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'|script-src[^;]*https:/);
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain('img-src https://self blob: data:');
  });
});
