/**
 * The reader, recognition and LDM → diffusers mapping on the reference harness's random-weight SD 1.5, saved
 * by diffusers' own scripts as a single-file LDM checkpoint and as a diffusers folder: every diffusers UNet and
 * VAE key comes out with the folder's shape and values. Runs only where those files exist (a dev machine with
 * ../shared/tools/reference-sd set up); it reads headers and a sample of tensors, never whole files.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../src/pipeline/convert/openCheckpoint';
import { openSafetensors } from '../../../src/pipeline/convert/safetensors';

const LDM = '/tmp/ref-sd15-ldm.safetensors';
const FOLDER = '/tmp/ref-sd15-st';
const present = existsSync(LDM) && existsSync(`${FOLDER}/unet/diffusion_pytorch_model.safetensors`);

describe.skipIf(!present)('reference SD 1.5 (single-file LDM vs diffusers folder)', () => {
  it('maps every UNet, VAE and text encoder key with the folder shapes, and sampled values are identical', async () => {
    const ckpt = await openCheckpoint(LDM);
    const unet = await openSafetensors(`${FOLDER}/unet/diffusion_pytorch_model.safetensors`);
    const vae = await openSafetensors(`${FOLDER}/vae/diffusion_pytorch_model.safetensors`);
    try {
      expect(ckpt.spec.family).toBe('sd1');
      expect(ckpt.spec.prediction).toBe('epsilon');
      expect(ckpt.spec.unet).toMatchObject({ inChannels: 4, blockOutChannels: [320, 640, 1280, 1280], layersPerBlock: 2, crossAttentionDim: 768, useLinearProjection: false });
      expect(ckpt.spec.textEncoders).toEqual([{ hiddenSize: 768, layers: 12, heads: 12, intermediateSize: 3072, activation: 'quick_gelu', maxPositions: 77, vocabSize: 49408 }]);
      const expected = new Map<string, readonly number[]>();
      for (const [name, e] of unet.entries) expected.set(`unet.${name}`, e.shape);
      for (const [name, e] of vae.entries) expected.set(`vae.${name}`, e.shape);
      const produced = new Map(ckpt.weights.names().filter((n) => !n.startsWith('text_encoder.')).map((n) => [n, ckpt.weights.info(n)?.shape]));
      expect([...produced.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [name, shape] of expected) expect(produced.get(name), name).toEqual(shape);
      expect(ckpt.weights.names().filter((n) => n.startsWith('text_encoder.'))).toHaveLength(196);

      const samples = [
        'unet.conv_in.weight',
        'unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight',
        'unet.up_blocks.1.upsamplers.0.conv.bias',
        'unet.up_blocks.3.attentions.2.proj_out.bias',
        'unet.mid_block.resnets.1.time_emb_proj.weight',
        'vae.decoder.mid_block.attentions.0.to_q.weight',
        'vae.decoder.up_blocks.0.resnets.0.conv1.bias',
        'vae.encoder.down_blocks.1.resnets.0.conv_shortcut.weight',
        'vae.post_quant_conv.weight',
      ];
      for (const name of samples) {
        const file = name.startsWith('unet.') ? unet : vae;
        const ours = await ckpt.weights.read(name);
        const theirs = await file.read(name.slice(name.indexOf('.') + 1));
        expect(ours.length, name).toBe(theirs.length);
        expect(Buffer.from(ours.buffer).equals(Buffer.from(theirs.buffer)), name).toBe(true);
      }
    } finally {
      await Promise.all([ckpt.close(), unet.close(), vae.close()]);
    }
  });
});

describe.skipIf(!existsSync(`${FOLDER}/text_encoder/pytorch_model.bin`))('reference SD 1.5 diffusers folder', () => {
  it('is refused as a whole because its text encoder is a pickle, naming the file', async () => {
    await expect(openCheckpoint(FOLDER)).rejects.toMatchObject({ code: 'MODEL_UNSAFE', message: expect.stringMatching(/text_encoder[/\\]pytorch_model\.bin is a PyTorch pickle/) });
  });
});
