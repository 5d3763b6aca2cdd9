import { describe, expect, it } from 'vitest';
import { resolveBackendSetting, tokenKey } from '../../../src/host/backend/backendSetting';

const dflt = { defaultValue: 'local' };
const noUrl = { defaultValue: '' };

describe('resolveBackendSetting', () => {
  it('is local by default', () => {
    expect(resolveBackendSetting(dflt, noUrl, true)).toEqual({ kind: 'local' });
  });

  it('runs on the user\'s server when the user chooses comfyui', () => {
    expect(resolveBackendSetting({ ...dflt, globalValue: 'comfyui' }, { ...noUrl, globalValue: 'http://10.0.0.5:8188' }, true)).toEqual({ kind: 'comfyui', url: 'http://10.0.0.5:8188' });
  });

  it('never takes the URL from the workspace, trusted or not', () => {
    for (const trusted of [true, false]) {
      const s = resolveBackendSetting({ ...dflt, globalValue: 'comfyui' }, { ...noUrl, globalValue: 'http://127.0.0.1:8188', workspaceValue: 'http://evil.example:8188' }, trusted);
      expect(s.kind === 'comfyui' && s.url).toBe('http://127.0.0.1:8188');
      expect(s.ignored).toMatch(/evil\.example.*ignored/);
    }
    const onlyWorkspace = resolveBackendSetting({ ...dflt, globalValue: 'comfyui' }, { ...noUrl, workspaceFolderValue: 'http://evil.example:8188' }, true);
    expect(onlyWorkspace.kind).toBe('unconfigured');
  });

  it('lets a trusted workspace choose comfyui, but not a restricted one', () => {
    const url = { ...noUrl, globalValue: 'http://127.0.0.1:8188' };
    expect(resolveBackendSetting({ ...dflt, workspaceValue: 'comfyui' }, url, true).kind).toBe('comfyui');
    const restricted = resolveBackendSetting({ ...dflt, workspaceValue: 'comfyui' }, url, false);
    expect(restricted.kind).toBe('local');
    expect(restricted.ignored).toMatch(/Restricted Mode/);
  });

  it('says what to set when comfyui has no usable URL', () => {
    const none = resolveBackendSetting({ globalValue: 'comfyui' }, noUrl, true);
    expect(none.kind === 'unconfigured' && none.problem).toMatch(/atelier\.comfyui\.url is not set.*http:\/\/127\.0\.0\.1:8188/);
    const bad = resolveBackendSetting({ globalValue: 'comfyui' }, { globalValue: 'ftp://x' }, true);
    expect(bad.kind === 'unconfigured' && bad.problem).toMatch(/atelier\.comfyui\.url: .*http:\/\/ or https:\/\//);
  });

  it('ignores values that are not a backend', () => {
    expect(resolveBackendSetting({ globalValue: 'cloud' }, noUrl, true)).toEqual({ kind: 'local' });
  });
});

describe('tokenKey', () => {
  it('is one key per server, so a token never follows a changed URL', () => {
    expect(tokenKey('127.0.0.1:8188')).toBe(tokenKey('http://127.0.0.1:8188/'));
    expect(tokenKey('http://127.0.0.1:8188')).not.toBe(tokenKey('http://127.0.0.1:8189'));
    expect(tokenKey('https://gpu.example/comfy')).not.toBe(tokenKey('https://gpu.example/other'));
    expect(tokenKey('https://gpu.example/comfy')).not.toBe(tokenKey('http://gpu.example/comfy'));
  });
});
