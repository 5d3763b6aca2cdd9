import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_MODEL_SETTING, isInstalledDemoPath, readmeName, resolveModelSetting, settingValueFor } from '../../../src/host/models/modelSetting';

const ID = 'atelier-dev.atelier';
const demo = path.join('/home/u/.vscode/extensions', 'atelier-dev.atelier-0.2.0-linux-x64', 'dist', 'demo-model');

describe('atelier.modelPath: the demo model as a marker', () => {
  it('stores the demo as a marker, any other folder as its path', () => {
    expect(settingValueFor(demo, demo)).toBe(DEMO_MODEL_SETTING);
    expect(settingValueFor('/models/sd15', demo)).toBe('/models/sd15');
  });

  it('resolves the marker to this install\'s demo folder, and nothing to nothing', () => {
    expect(resolveModelSetting(DEMO_MODEL_SETTING, demo, ID)).toEqual({ dir: demo, demo: true });
    expect(resolveModelSetting('  ', demo, ID)).toBeUndefined();
    expect(resolveModelSetting('/models/sd15', demo, ID)).toEqual({ dir: '/models/sd15', demo: false });
  });

  it('reads an older release\'s absolute demo path (gone after an update) as the demo of this install', () => {
    const old = '/home/u/.vscode/extensions/atelier-dev.atelier-0.1.0-linux-x64/dist/demo-model';
    expect(resolveModelSetting(old, demo, ID)).toEqual({ dir: demo, demo: true, migratedFrom: old });
    expect(isInstalledDemoPath('C:\\Users\\u\\.vscode\\extensions\\atelier-dev.atelier-0.1.0-win32-x64\\dist\\demo-model', ID)).toBe(true);
    // Not Atelier's folder, or not the demo: a real model folder that happens to look alike stays as it is.
    expect(isInstalledDemoPath('/home/u/.vscode/extensions/other.ext-1.0.0/dist/demo-model', ID)).toBe(false);
    expect(isInstalledDemoPath('/models/atelier-dev.atelier-0.1.0/dist/sd15', ID)).toBe(false);
    expect(resolveModelSetting('/models/dist/demo-model', demo, ID)).toEqual({ dir: '/models/dist/demo-model', demo: false });
  });
});

describe('the packaged README', () => {
  it('is found under the name vsce gives it (readme.md), and the repository\'s name still works', () => {
    expect(readmeName(['package.json', 'readme.md', 'dist'])).toBe('readme.md');
    expect(readmeName(['README.md', 'package.json'])).toBe('README.md');
    expect(readmeName(['Readme.MD'])).toBe('Readme.MD');
    expect(readmeName(['package.json', 'readme.txt'])).toBeUndefined();
  });
});
