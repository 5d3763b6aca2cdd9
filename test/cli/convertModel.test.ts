/**
 * `atelier generate --model x.safetensors [--lora y.safetensors:0.6]` as a user runs it: the worker converts the
 * checkpoint into the cache (progress on stderr), generation runs on the converted folder, and the next run
 * reuses it. The graph writer is the fixture stand-in (ATELIER_TEST_GRAPHS_FROM): it reads every merged weight
 * and drops in tiny graphs with the real interfaces, so this checks the plumbing, not the graphs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readParameters } from '../../src/host/output/imageMetadata';
import { runCli } from '../helpers/cli';
import { TOKENIZER_ASSETS } from '../helpers/fixtures';
import { tinyLdm } from '../helpers/ldmCheckpoint';
import { writeSafetensors } from '../helpers/safetensors';
import { writeModelFolder } from '../fixtures/onnx/modelFolder';

const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-convert-'));
const checkpoint = path.join(root, 'myModel_v2.safetensors');
const lora = path.join(root, 'style.safetensors');
const graphs = path.join(root, 'graphs');
const cache = path.join(root, 'cache');
const runnable = path.join(root, 'runnable.safetensors');
const env = { ATELIER_TEST_GRAPHS_FROM: graphs, ATELIER_CONVERTED_DIR: cache };

beforeAll(() => {
  writeModelFolder(graphs, { family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS, vaeEncoder: 'latent_sample' });
  writeSafetensors(checkpoint, tinyLdm({ family: 'sd1' }));
  writeSafetensors(runnable, tinyLdm({ family: 'sd1', clipVocab: true }));
  const m = 'lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q';
  writeSafetensors(lora, { [`${m}.lora_down.weight`]: { shape: [2, 32] }, [`${m}.lora_up.weight`]: { shape: [32, 2] } });
});

describe('atelier generate --model <checkpoint>.safetensors', () => {
  it('converts once with progress, generates, and reuses the conversion next time', async () => {
    const out = path.join(root, 'out');
    const first = await runCli(['generate', 'a lighthouse', '--model', checkpoint, '--lora', `${lora}:0.6`, '--steps', '2', '--width', '64', '--height', '64', '--seed', '1', '--out', `${out}/`], env);
    expect(first.stderr).toMatch(/converting/);
    expect(first.stderr).toMatch(/converted myModel_v2\.safetensors \(SD1, epsilon, LoRA style\.safetensors:0\.6 \(1 layers, hash [0-9a-f]{12}\)\)/);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(first.stdout.trim())).toBe(true);
    const hash = /hash ([0-9a-f]{12})/.exec(first.stderr)?.[1];
    expect(readParameters(readFileSync(first.stdout.trim()))).toContain(`Lora hashes: "style: ${hash}"`);
    expect(readdirSync(cache).filter((d) => !d.startsWith('.') && d !== 'hashes')).toHaveLength(1);

    const second = await runCli(['generate', 'a lighthouse', '--model', checkpoint, '--lora', `${lora}:0.6`, '--steps', '2', '--width', '64', '--height', '64', '--seed', '1', '--out', `${out}/`], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/using the cached conversion myModel_v2\.safetensors/);
  });

  it('<lora:name:weight> in the prompt is found in $ATELIER_LORA_DIRS / --lora-dir and merged like --lora; the metadata keeps the tag', async () => {
    const out = path.join(root, 'tags');
    const tagged = await runCli(['generate', 'a lighthouse <lora:style:0.6>', '--model', checkpoint, '--steps', '2', '--width', '64', '--height', '64', '--seed', '1', '--out', `${out}/`], { ...env, ATELIER_LORA_DIRS: root });
    expect(tagged.code, tagged.stderr).toBe(0);
    // The same checkpoint + LoRA + weight as --lora style.safetensors:0.6 above: the same cached conversion.
    expect(tagged.stderr).toMatch(/using the cached conversion myModel_v2\.safetensors \(SD1, epsilon, LoRA style\.safetensors:0\.6/);
    const params = readParameters(readFileSync(tagged.stdout.trim())) ?? '';
    expect(params.split('\n')[0]).toBe('a lighthouse <lora:style:0.6>');
    expect(params).toMatch(/Lora hashes: "style: [0-9a-f]{12}"/);

    const viaFlag = await runCli(['generate', 'x <lora:nope>', '--model', checkpoint, '--lora-dir', root], env);
    expect(viaFlag.code).toBe(2);
    expect(viaFlag.stderr).toMatch(/no LoRA named "nope" in .*; found: .*style/);
    const noDir = await runCli(['generate', 'x <lora:style>', '--model', checkpoint], env);
    expect(noDir.stderr).toMatch(/no LoRA folder is set: pass --lora-dir <folder> or set \$ATELIER_LORA_DIRS/);
    const onnx = await runCli(['generate', 'x <lora:style>', '--model', graphs, '--lora-dir', root], env);
    expect(onnx.code).toBe(2);
    expect(onnx.stderr).toMatch(/<lora:name:weight> in the prompt is merged when Atelier builds a model from a \.safetensors checkpoint/);
    const server = await runCli(['generate', 'x <lora:style>', '--comfyui', 'http://127.0.0.1:9', '--lora-dir', root], env);
    expect(server.code).toBe(2);
    expect(server.stderr).toMatch(/with --comfyui, pass the server's LoRA as --lora/);
  });

  it('refuses --lora with an ONNX folder, a non-safetensors LoRA, and a pickle checkpoint, naming the fix', async () => {
    const withFolder = await runCli(['generate', 'x', '--model', graphs, '--lora', lora], env);
    expect(withFolder.code).toBe(2);
    expect(withFolder.stderr).toMatch(/--lora is merged when Atelier builds a model from a \.safetensors checkpoint/);
    const ckpt = await runCli(['generate', 'x', '--model', checkpoint, '--lora', 'style.ckpt'], env);
    expect(ckpt.code).toBe(2);
    expect(ckpt.stderr).toMatch(/must be a \.safetensors file/);
  });

  it("builds the graphs with Atelier's own writer (no ready-made graphs) and generates from them", async () => {
    const out = path.join(root, 'own');
    const own = await runCli(['generate', 'x', '--model', runnable, '--steps', '1', '--width', '64', '--height', '64', '--seed', '3', '--out', `${out}/`], { ATELIER_CONVERTED_DIR: path.join(root, 'cache2') });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stderr).toMatch(/converted runnable\.safetensors \(SD1, epsilon\)/);
    expect(existsSync(own.stdout.trim())).toBe(true);
    // No LoRA, no "Lora hashes" field.
    expect(readParameters(readFileSync(own.stdout.trim()))).not.toContain('Lora hashes');
    expect(readParameters(readFileSync(own.stdout.trim()))).toContain('Model: runnable');
    const [folder] = readdirSync(path.join(root, 'cache2')).filter((d) => !d.startsWith('.') && d !== 'hashes');
    expect(existsSync(path.join(root, 'cache2', folder, 'unet', 'model.onnx'))).toBe(true);
  });
});
