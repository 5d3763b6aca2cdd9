/** Entry of the side panel webview bundle. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { FromPanel } from '../../shared/protocol/panel';
import { connectToHost } from '../common/vscodeApi';
import { PanelApp } from './panelApp';
import './panel.css';

const root = document.getElementById('app');
if (root) new PanelApp(connectToHost<FromPanel, Record<string, never>>(), root);
