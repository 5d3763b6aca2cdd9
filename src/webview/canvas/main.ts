/** Entry of the canvas webview bundle. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import type { FromCanvas } from '../../shared/protocol/canvas';
import { connectToHost } from '../common/vscodeApi';
import { CanvasApp } from './app/canvasApp';
import type { CanvasUiState } from './app/uiState';
import './canvas.css';

const root = document.getElementById('app');
if (root) new CanvasApp(connectToHost<FromCanvas, CanvasUiState>(), root);
