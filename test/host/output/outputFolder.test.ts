import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideOutputFolder } from '../../../src/host/output/outputFolder';

describe('output folder', () => {
  const ws = '/home/u/project';
  it('defaults to the active file\'s folder inside the workspace', () => {
    expect(decideOutputFolder({ setting: '', workspaceFolders: [ws], activeFile: `${ws}/src/ui/button.tsx` })).toEqual({ kind: 'folder', dir: `${ws}/src/ui` });
  });
  it('falls back to assets/generated when the active file is outside the workspace', () => {
    expect(decideOutputFolder({ setting: '', workspaceFolders: [ws], activeFile: '/tmp/notes.md' })).toEqual({ kind: 'folder', dir: path.join(ws, 'assets', 'generated') });
    expect(decideOutputFolder({ setting: '', workspaceFolders: [ws] })).toEqual({ kind: 'folder', dir: path.join(ws, 'assets', 'generated') });
  });
  it('honours an absolute or workspace-relative setting', () => {
    expect(decideOutputFolder({ setting: '/data/out', workspaceFolders: [ws] })).toEqual({ kind: 'folder', dir: '/data/out' });
    expect(decideOutputFolder({ setting: 'art', workspaceFolders: [ws, '/other'] })).toEqual({ kind: 'folder', dir: `${ws}/art` });
  });
  it('asks (save dialog) when there is no workspace', () => {
    expect(decideOutputFolder({ setting: '', workspaceFolders: [] })).toEqual({ kind: 'ask' });
    expect(decideOutputFolder({ setting: 'relative', workspaceFolders: [] })).toEqual({ kind: 'ask' });
  });
});
