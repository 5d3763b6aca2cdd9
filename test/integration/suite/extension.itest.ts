/** Atelier inside a real extension host: contributions, Generate Image end to end, the canvas editor. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as vscode from 'vscode';

const EXTENSION_ID = 'atelier-dev.atelier';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the integration run opens a workspace folder');
  return folder.uri.fsPath;
}

describe('Atelier in the extension host', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    await extension.activate();
  });

  it('registers every command it contributes', async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
    assert.ok(contributed.includes('atelier.generateImage'));
  });

  it('Generate Image with the demo model writes a PNG with its prompt into the workspace', async () => {
    const demo = await vscode.commands.executeCommand<string>('atelier.useDemoModel');
    assert.ok(demo && existsSync(path.join(demo, 'model_index.json')), `the demo model exists at ${demo}`);
    const config = vscode.workspace.getConfiguration('atelier');
    await config.update('steps', 4, vscode.ConfigurationTarget.Workspace);
    await config.update('width', 64, vscode.ConfigurationTarget.Workspace);
    await config.update('height', 64, vscode.ConfigurationTarget.Workspace);
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('atelier.generateImage', 'an integration lighthouse');
    assert.ok(uri, 'Generate Image returned the saved file');
    assert.equal(path.dirname(uri.fsPath), path.join(workspaceRoot(), 'assets', 'generated'));
    const bytes = readFileSync(uri.fsPath);
    assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(bytes.includes(Buffer.from('an integration lighthouse')), 'the prompt is in the PNG parameters');
  });

  it('registers its language model tools, and atelier_generateImage through vscode.lm.invokeTool writes the image (invoked without a chat request, VS Code asks no confirmation)', async () => {
    const names = vscode.lm.tools.map((t) => t.name);
    for (const tool of ['atelier_generateImage', 'atelier_editImage', 'atelier_upscaleImage', 'atelier_listModels']) assert.ok(names.includes(tool), `${tool} is registered`);
    const text = (result: vscode.LanguageModelToolResult): string => result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
    // Outside the workspace: refused as text for the model, nothing to confirm.
    const refused = text(await vscode.lm.invokeTool('atelier_generateImage', { toolInvocationToken: undefined, input: { prompt: 'x', path: '../outside.png' } }));
    assert.match(refused, /invalid input "path".*outside the workspace/);
    assert.ok(!existsSync(path.join(workspaceRoot(), '..', 'outside.png')));
    const input = { prompt: 'an agent lighthouse', path: 'agent/lighthouse.png', width: 64, height: 64, seed: 5 };
    const first = text(await vscode.lm.invokeTool('atelier_generateImage', { toolInvocationToken: undefined, input }));
    assert.match(first, /^Generated agent\/lighthouse\.png \(64×64, seed 5/);
    assert.match(first, /Its recipe is agent\/lighthouse\.atelier\.json/);
    assert.ok(existsSync(path.join(workspaceRoot(), 'agent', 'lighthouse.atelier.json')), 'the recipe was written');
    const bytes = readFileSync(path.join(workspaceRoot(), 'agent', 'lighthouse.png'));
    assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    // The same path again: the first file is kept, the new one numbered, and the agent told.
    const second = text(await vscode.lm.invokeTool('atelier_generateImage', { toolInvocationToken: undefined, input }));
    assert.match(second, /lighthouse\.png already existed and was left unchanged, so the new image has the name agent\/lighthouse-1\.png/);
    assert.deepEqual(readFileSync(path.join(workspaceRoot(), 'agent', 'lighthouse.png')), bytes);
    // atelier_editImage with a region repaints only there: every pixel outside is bit-exact.
    const edited = text(await vscode.lm.invokeTool('atelier_editImage', { toolInvocationToken: undefined, input: { image: 'agent/lighthouse.png', prompt: 'a red door', path: 'agent/patched.png', strength: 1, seed: 9, region: { x: 16, y: 16, width: 32, height: 24 } } }));
    assert.match(edited, /^Edited agent\/lighthouse\.png \(unchanged\) in the region x 16, y 16, 32×24 into agent\/patched\.png \(64×64/);
    const raw = async (file: string): Promise<Buffer> => sharp(path.join(workspaceRoot(), 'agent', file)).removeAlpha().raw().toBuffer();
    const [before, after] = [await raw('lighthouse.png'), await raw('patched.png')];
    let changedInside = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const i = (y * 64 + x) * 3;
        const inside = x >= 16 && x < 48 && y >= 16 && y < 40;
        const same = before[i] === after[i] && before[i + 1] === after[i + 1] && before[i + 2] === after[i + 2];
        if (!inside) assert.ok(same, `pixel ${x},${y} outside the region is unchanged`);
        else if (!same) changedInside++;
      }
    }
    assert.ok(changedInside > 0, 'the region was repainted');
    const past = text(await vscode.lm.invokeTool('atelier_editImage', { toolInvocationToken: undefined, input: { image: 'agent/lighthouse.png', prompt: 'x', region: { x: 60, y: 0, width: 8, height: 8 } } }));
    assert.match(past, /region x 60, y 0, 8×8 reaches past the image \(64×64\)/);
  });

  it('opens an image in the Atelier Canvas custom editor', async () => {
    const file = path.join(workspaceRoot(), 'canvas-check.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#204060' } }).png().toFile(file);
    await vscode.commands.executeCommand('atelier.openInCanvas', vscode.Uri.file(file));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      if (input instanceof vscode.TabInputCustom && input.viewType === 'atelier.canvas' && input.uri.fsPath === file) break;
      assert.ok(Date.now() < deadline, 'the canvas tab opened');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});
