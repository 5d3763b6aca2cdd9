/** Diffusers folders with safetensors weights: configs → SdSpec (cross-checked with the single-file path), refusals. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../src/pipeline/convert/openCheckpoint';
import { tinyLdm } from '../../helpers/ldmCheckpoint';
import { writeSafetensors, type TestTensor } from '../../helpers/safetensors';

const root = mkdtempSync(path.join(os.tmpdir(), 'atelier-dfolder-'));
const ldm = path.join(root, 'sd1.safetensors');
const folder = path.join(root, 'sd1-diffusers');

const UNET_CONFIG = {
  _class_name: 'UNet2DConditionModel',
  in_channels: 4,
  out_channels: 4,
  block_out_channels: [32, 32, 64, 64],
  layers_per_block: 2,
  attention_head_dim: 8,
  cross_attention_dim: 64,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  use_linear_projection: false,
  transformer_layers_per_block: 1,
};
const TEXT_CONFIG = { architectures: ['CLIPTextModel'], hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 1, intermediate_size: 256, hidden_act: 'quick_gelu', max_position_embeddings: 8, vocab_size: 32 };
const VAE_CONFIG = { _class_name: 'AutoencoderKL', block_out_channels: [16, 32], layers_per_block: 2, latent_channels: 4, scaling_factor: 0.18215 };

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value));
}

/** A diffusers folder holding the tiny SD 1.x checkpoint's weights, renamed through the single-file path. */
async function writeFolder(dir: string): Promise<void> {
  const single = await openCheckpoint(ldm);
  try {
    const parts: Record<string, Record<string, TestTensor>> = { unet: {}, vae: {}, text_encoder: {} };
    for (const name of single.weights.names()) {
      const [component] = name.split('.', 1);
      parts[component][name.slice(component.length + 1)] = { shape: single.weights.info(name)?.shape ?? [], data: await single.weights.read(name) };
    }
    writeJson(path.join(dir, 'model_index.json'), { _class_name: 'StableDiffusionPipeline', unet: ['diffusers', 'UNet2DConditionModel'], vae: ['diffusers', 'AutoencoderKL'], text_encoder: ['transformers', 'CLIPTextModel'] });
    writeJson(path.join(dir, 'unet', 'config.json'), UNET_CONFIG);
    writeJson(path.join(dir, 'vae', 'config.json'), VAE_CONFIG);
    writeJson(path.join(dir, 'text_encoder', 'config.json'), TEXT_CONFIG);
    writeJson(path.join(dir, 'scheduler', 'scheduler_config.json'), { _class_name: 'PNDMScheduler', prediction_type: 'v_prediction' });
    writeSafetensors(path.join(dir, 'unet', 'diffusion_pytorch_model.safetensors'), parts.unet);
    writeSafetensors(path.join(dir, 'vae', 'diffusion_pytorch_model.safetensors'), parts.vae);
    writeSafetensors(path.join(dir, 'text_encoder', 'model.safetensors'), parts.text_encoder);
  } finally {
    await single.close();
  }
}

beforeAll(async () => {
  writeSafetensors(ldm, tinyLdm({ family: 'sd1' }));
  await writeFolder(folder);
});

describe('diffusers safetensors folders', () => {
  it('configs give the same SdSpec as the shapes of the same weights in a single file, and the same tensors', async () => {
    const a = await openCheckpoint(folder);
    const b = await openCheckpoint(ldm);
    try {
      expect(a.layout).toBe('diffusers-folder');
      expect({ ...a.spec, prediction: 'epsilon' }).toEqual(b.spec);
      expect([a.spec.prediction, a.predictionWhy]).toEqual(['v_prediction', 'scheduler/scheduler_config.json says prediction_type=v_prediction']);
      expect([...a.weights.names()].sort()).toEqual([...b.weights.names()].sort());
      const name = 'unet.up_blocks.2.attentions.1.transformer_blocks.0.ff.net.0.proj.weight';
      expect(await a.weights.read(name)).toEqual(await b.weights.read(name));
      expect(a.files).toHaveLength(3);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses PyTorch .bin weights (pickles), weight files that escape the folder, and an ONNX folder', async () => {
    const pickled = path.join(root, 'pickled');
    await writeFolder(pickled);
    rmSync(path.join(pickled, 'text_encoder', 'model.safetensors'));
    writeFileSync(path.join(pickled, 'text_encoder', 'pytorch_model.bin'), Buffer.from([0x80, 0x02]));
    await expect(openCheckpoint(pickled)).rejects.toMatchObject({ code: 'MODEL_UNSAFE', message: expect.stringMatching(/pytorch_model\.bin is a PyTorch pickle/) });

    const escaping = path.join(root, 'escaping');
    await writeFolder(escaping);
    rmSync(path.join(escaping, 'vae', 'diffusion_pytorch_model.safetensors'));
    symlinkSync(ldm, path.join(escaping, 'vae', 'diffusion_pytorch_model.safetensors'));
    await expect(openCheckpoint(escaping)).rejects.toMatchObject({ code: 'MODEL_UNSAFE', message: expect.stringMatching(/outside the model folder/) });

    const onnx = path.join(root, 'onnx');
    writeJson(path.join(onnx, 'model_index.json'), { _class_name: 'OnnxStableDiffusionPipeline' });
    await expect(openCheckpoint(onnx)).rejects.toThrow(/already an ONNX model folder/);

    const missing = path.join(root, 'missing');
    await writeFolder(missing);
    rmSync(path.join(missing, 'vae'), { recursive: true });
    await expect(openCheckpoint(missing)).rejects.toThrow(/vae[/\\]config\.json/);
  });

  it('reads sharded weights through their index, and refuses a shard path that leaves the folder', async () => {
    const sharded = path.join(root, 'sharded');
    await writeFolder(sharded);
    const te = path.join(sharded, 'text_encoder');
    rmSync(path.join(te, 'model.safetensors'));
    const all = tinyLdm({ family: 'sd1' });
    const half = (first: boolean): Record<string, TestTensor> =>
      Object.fromEntries(
        Object.entries(all)
          .filter(([k]) => k.startsWith('cond_stage_model.transformer.'))
          .map(([k, v]) => [k.slice('cond_stage_model.transformer.'.length), v] as const)
          .filter(([k]) => k.includes('layers.0.') === first),
      );
    writeSafetensors(path.join(te, 'model-00001-of-00002.safetensors'), half(true));
    writeSafetensors(path.join(te, 'model-00002-of-00002.safetensors'), half(false));
    const map = Object.fromEntries([...Object.keys(half(true)).map((k) => [k, 'model-00001-of-00002.safetensors']), ...Object.keys(half(false)).map((k) => [k, 'model-00002-of-00002.safetensors'])]);
    writeJson(path.join(te, 'model.safetensors.index.json'), { weight_map: map });
    const c = await openCheckpoint(sharded);
    expect(c.files).toHaveLength(4);
    expect(c.weights.names().filter((n) => n.startsWith('text_encoder.'))).toHaveLength(Object.keys(map).length);
    await c.close();
    writeJson(path.join(te, 'model.safetensors.index.json'), { weight_map: { a: '../../sd1.safetensors' } });
    await expect(openCheckpoint(sharded)).rejects.toMatchObject({ code: 'MODEL_UNSAFE', message: expect.stringMatching(/contains "\.\."/) });
  });
});
