/** `atelier generate` with a Turbo or LCM model and no --steps/--guidance/--sampler: the model's few-step defaults run and are recorded. */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { TOKENIZER_ASSETS } from '../helpers/fixtures';
import { writeModelFolder } from '../fixtures/onnx/modelFolder';
import { tinyLdm } from '../helpers/ldmCheckpoint';
import { writeSafetensors } from '../helpers/safetensors';

const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-defaults-'));
const turbo = path.join(root, 'sd-turbo');
const lcm = path.join(root, 'my-model');
const plain = path.join(root, 'plain');
const hubSnapshot = path.join(root, 'hub', 'models--stabilityai--sd-turbo', 'snapshots', '0123abcd');
const turboCheckpoint = path.join(root, 'sd_turbo.safetensors');

beforeAll(() => {
  writeModelFolder(turbo, { family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS });
  writeModelFolder(lcm, { family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS, scheduler: { _class_name: 'LCMScheduler', original_inference_steps: 50 } });
  writeModelFolder(plain, { family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS });
  writeModelFolder(hubSnapshot, { family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS });
  writeSafetensors(turboCheckpoint, tinyLdm({ family: 'sd1', clipVocab: true }));
});

async function generate(model: string, ...flags: string[]): ReturnType<typeof generateWith> {
  return generateWith({}, model, ...flags);
}

async function generateWith(env: NodeJS.ProcessEnv, model: string, ...flags: string[]): Promise<{ data: { file: string; steps: number; sampler: string; warnings: string[] }; parameters: string }> {
  const r = await runCli(['generate', 'a fox', '--model', model, '--width', '64', '--height', '64', '--seed', '1', '--out', `${path.join(root, 'out')}/`, '--json', ...flags], env);
  expect(r.code, r.stderr).toBe(0);
  const data = JSON.parse(r.stdout) as { file: string; steps: number; sampler: string; warnings: string[] };
  return { data, parameters: readFileSync(data.file).toString('latin1') };
}

describe('model-chosen sampling defaults', () => {
  it('a folder named *turbo* runs 1 step of Euler ancestral without CFG, says so, and the metadata records it', async () => {
    const { data, parameters } = await generate(turbo, '--recipe');
    expect(data).toMatchObject({ steps: 1, sampler: 'euler-a' });
    expect(data.warnings).toContain('sampler euler-a, 1 step, guidance 0: the defaults for a Turbo (few-step) model; set steps, guidance or sampler to choose your own');
    expect(parameters).toMatch(/Steps: 1, Sampler: [^,]*, CFG scale: 0,/);
    const recipe = JSON.parse(readFileSync(data.file.replace(/\.png$/, '.atelier.json'), 'utf8')) as Record<string, unknown>;
    expect(recipe).toMatchObject({ sampler: 'euler-a', steps: 1, guidance: 0 });
  });

  it('a Hugging Face cache snapshot of */sd-turbo, and a converted sd_turbo.safetensors (hashed cache folder), are Turbo too', async () => {
    expect((await generate(hubSnapshot)).data).toMatchObject({ steps: 1, sampler: 'euler-a' });
    expect((await generateWith({ ATELIER_CONVERTED_DIR: path.join(root, 'converted') }, turboCheckpoint)).data).toMatchObject({ steps: 1, sampler: 'euler-a' });
  });

  it('an LCMScheduler config runs 4 LCM steps', async () => {
    const { data } = await generate(lcm);
    expect(data).toMatchObject({ steps: 4, sampler: 'lcm' });
    expect(data.warnings.join('\n')).toMatch(/the defaults for an LCM model/);
  });

  it('explicit flags win, and other models keep the usual defaults', async () => {
    const { data, parameters } = await generate(turbo, '--steps', '3', '--sampler', 'euler', '--guidance', '1.5');
    expect(data).toMatchObject({ steps: 3, sampler: 'euler' });
    expect(data.warnings.join('\n')).not.toMatch(/defaults for/);
    expect(parameters).toMatch(/Steps: 3, Sampler: Euler, CFG scale: 1.5,/);
    const partly = await generate(turbo, '--steps', '2', '--recipe');
    expect(partly.data).toMatchObject({ steps: 2, sampler: 'euler-a' });
    const recipe = JSON.parse(readFileSync(partly.data.file.replace(/\.png$/, '.atelier.json'), 'utf8')) as Record<string, unknown>;
    expect(recipe).toMatchObject({ sampler: 'euler-a', steps: 2, guidance: 0 });
    const usual = await generate(plain, '--steps', '2');
    expect(usual.data.sampler).not.toBe('euler-a');
    expect(usual.data.warnings.join('\n')).not.toMatch(/defaults for/);
  });
});
