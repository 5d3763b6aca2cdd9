/** Where the built webview bundles live, and the page for one of them. */
import * as vscode from 'vscode';
import { renderWebviewHtml, webviewOptions } from './html';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

/** Sets options and HTML of a webview that runs the bundle `dist/webview/<bundle>.js`. */
export function showBundle(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: 'canvas' | 'panel', title: string): void {
  const root = webviewRoot(extensionUri);
  webview.options = webviewOptions(root);
  webview.html = renderWebviewHtml(webview, {
    title,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${bundle}.js`)).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${bundle}.css`)).toString(),
  });
}
