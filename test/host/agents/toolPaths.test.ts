import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shownPath, workspacePath } from '../../../src/host/agents/toolPaths';
import { ToolInputError } from '../../../src/host/agents/toolErrors';

const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-tool-paths-'));
const workspace = path.join(root, 'project');
const outside = path.join(root, 'elsewhere');
mkdirSync(path.join(workspace, 'assets'), { recursive: true });
mkdirSync(outside);
symlinkSync(outside, path.join(workspace, 'linked'));
writeFileSync(path.join(workspace, 'assets', 'logo.png'), 'x');

describe('workspacePath', () => {
  it('accepts relative and absolute paths inside the workspace, including folders not made yet', async () => {
    await expect(workspacePath('assets/hero.png', 'path', [workspace], 'output')).resolves.toBe(path.join(workspace, 'assets', 'hero.png'));
    await expect(workspacePath(path.join(workspace, 'new', 'deep', 'icon.webp'), 'path', [workspace], 'output')).resolves.toBe(path.join(workspace, 'new', 'deep', 'icon.webp'));
    await expect(workspacePath('assets/logo.png', 'image', [workspace], 'input')).resolves.toBe(path.join(workspace, 'assets', 'logo.png'));
    // A second workspace folder counts too.
    await expect(workspacePath(path.join(outside, 'b.jpg'), 'path', [workspace, outside], 'output')).resolves.toBe(path.join(outside, 'b.jpg'));
  });

  it('refuses paths outside the workspace, by .. or absolute, naming the field', async () => {
    await expect(workspacePath('../elsewhere/x.png', 'path', [workspace], 'output')).rejects.toThrow(/path "..\/elsewhere\/x.png" is outside the workspace/);
    await expect(workspacePath(path.join(outside, 'x.png'), 'path', [workspace], 'output')).rejects.toBeInstanceOf(ToolInputError);
    await expect(workspacePath('/etc/passwd', 'image', [workspace], 'input')).rejects.toThrow(/image "\/etc\/passwd" is outside the workspace/);
    await expect(workspacePath('.', 'path', [workspace], 'output')).rejects.toThrow(/outside the workspace/);
  });

  it('refuses a symbolic link that leads out of the workspace', async () => {
    await expect(workspacePath('linked/x.png', 'path', [workspace], 'output')).rejects.toThrow(/through a symbolic link/);
    await expect(workspacePath('linked/sub/x.png', 'path', [workspace], 'output')).rejects.toThrow(/through a symbolic link/);
  });

  it('refuses outputs that are not images Atelier writes, and empty or missing paths', async () => {
    await expect(workspacePath('src/index.ts', 'path', [workspace], 'output')).rejects.toThrow(/must end in .png, .jpg, .jpeg or .webp/);
    await expect(workspacePath('assets/hero', 'path', [workspace], 'output')).rejects.toThrow(/must end in/);
    await expect(workspacePath('assets/HERO.PNG', 'path', [workspace], 'output')).resolves.toBe(path.join(workspace, 'assets', 'HERO.PNG'));
    await expect(workspacePath('', 'path', [workspace], 'output')).rejects.toThrow(/path must be a file path inside the workspace/);
    await expect(workspacePath(undefined, 'path', [workspace], 'output')).rejects.toThrow(/got undefined/);
  });

  it('refuses everything when no folder is open', async () => {
    await expect(workspacePath('a.png', 'path', [], 'output')).rejects.toThrow(/no workspace folder is open/);
  });
});

describe('shownPath', () => {
  it('is workspace-relative with forward slashes; prefixed by the folder name in a multi-root workspace', () => {
    expect(shownPath(path.join(workspace, 'assets', 'a.png'), [workspace])).toBe('assets/a.png');
    expect(shownPath(path.join(workspace, 'assets', 'a.png'), [outside, workspace])).toBe('project/assets/a.png');
    expect(shownPath(path.join(root, 'x.png'), [workspace])).toBe(path.join(root, 'x.png'));
  });
});
