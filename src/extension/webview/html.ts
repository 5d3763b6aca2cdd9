/**
 * The one place webview HTML is made: a strict CSP with a fresh crypto nonce per render, scripts only
 * by nonce, styles and fonts only from the extension, images only from the extension, blob: and
 * data: (bitmaps arrive as bytes and are shown through blob URLs), WebAssembly allowed and nothing
 * wider. Resources load only from dist/webview.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

export interface WebviewPage {
  readonly title: string;
  /** The bundle's script and stylesheet, already converted with `webview.asWebviewUri`. */
  readonly scriptUri: string;
  readonly styleUri: string;
}

/** Options every Atelier webview uses: scripts on, command URIs off, only dist/webview readable. */
export function webviewOptions(root: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    // The UI kit's web components set inline styles; scripts stay nonce-only.
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} blob: data:`,
    "connect-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function renderWebviewHtml(webview: Pick<vscode.Webview, 'cspSource'>, page: WebviewPage): string {
  const nonce = randomBytes(16).toString('base64');
  const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escape(contentSecurityPolicy(webview.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escape(page.styleUri)}">
<title>${escape(page.title)}</title>
</head>
<body>
<div id="app"></div>
<script type="module" nonce="${nonce}" src="${escape(page.scriptUri)}"></script>
</body>
</html>`;
}
