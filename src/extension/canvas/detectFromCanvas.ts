/**
 * "Detect pose from image" and "Select person" in the canvas: the base image goes to the worker's
 * built-in detectors; the answer becomes one undoable edit of the pose or mask layer.
 */
import * as vscode from 'vscode';
import type { ToCanvas } from '../../shared/protocol/canvas';
import type { DetectRequest } from '../../shared/request';
import type { GenerateDeps } from '../generation/deps';
import { readSettings } from '../config/settings';
import { showPipelineError } from '../ui/errorNotice';
import type { CanvasDocument } from './canvasDocument';
import { maskWithPerson, poseFromDetection } from '../../host/canvas/detectionEdits';

export async function detectFromCanvas(deps: GenerateDeps, document: CanvasDocument, webview: vscode.Webview, what: 'pose' | 'person'): Promise<void> {
  const status = (level: 'info' | 'warning' | 'error', message: string): void => void webview.postMessage({ type: 'status', level, message } satisfies ToCanvas);
  const model = document.canvas;
  const request: DetectRequest = { width: model.width, height: model.height, rgba: model.base, executionProvider: readSettings().executionProvider };
  status('info', what === 'pose' ? 'Detecting people…' : 'Finding the person…');
  try {
    if (what === 'pose') {
      const result = await deps.client().detectPose(request);
      deps.log.info(`canvas: ${result.detector} found ${result.people.length} people in ${result.timings.totalMs.toFixed(0)} ms on ${result.executionProvider}`);
      const outcome = poseFromDetection(model.pose, result.people);
      if (outcome.change) document.record(model.setPose('Detect pose', outcome.change), undefined, { type: 'pose', pose: outcome.change });
      status(outcome.level, outcome.message);
    } else {
      const result = await deps.client().segmentPerson(request);
      deps.log.info(`canvas: ${result.detector} covered ${(result.coverage * 100).toFixed(1)} % in ${result.timings.totalMs.toFixed(0)} ms on ${result.executionProvider}`);
      const outcome = maskWithPerson(model.layer('mask'), result.mask, result.coverage);
      if (outcome.change) {
        const rect = { x: 0, y: 0, width: model.width, height: model.height };
        document.record(model.paint('mask', 'Select person', rect, outcome.change), undefined, { type: 'patch', layer: 'mask', rect, pixels: outcome.change });
      }
      status(outcome.level, outcome.message);
    }
  } catch (error) {
    status('error', 'Detection did not finish; see the notification.');
    await showPipelineError(error, deps.log);
  }
}
