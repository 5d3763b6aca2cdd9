/** The words the host gives typed errors: ids keep their case, cancels say what was cancelled, the CLI is not sent to a log. */
import { describe, expect, it } from 'vitest';
import { asSentence, controlTypeName, describeForUser } from '../../../src/host/errors/userMessage';

describe('user messages', () => {
  it.each([
    ['could not reach huggingface.co (ENOTFOUND)', 'Could not reach huggingface.co (ENOTFOUND)'],
    ['the pipeline worker crashed', 'The pipeline worker crashed'],
    ['t/wronghash was not found on https://huggingface.co (HTTP 404)', 't/wronghash was not found on https://huggingface.co (HTTP 404)'],
    ['http://127.0.0.1:9 answered HTTP 500', 'http://127.0.0.1:9 answered HTTP 500'],
    ['sd-turbo needs guidance 0', 'sd-turbo needs guidance 0'],
    ['/home/me/model is missing', '/home/me/model is missing'],
    ['127.0.0.1:8080 did not answer', '127.0.0.1:8080 did not answer'],
  ])('%j → %j', (message, sentence) => {
    expect(asSentence(message)).toBe(sentence);
  });

  it('a Hub error about a repo id keeps the id as typed', () => {
    expect(describeForUser({ code: 'HUB_NOT_FOUND', message: 't/wronghash was not found on https://huggingface.co (HTTP 404): check the repo id' }).message).toBe(
      't/wronghash was not found on https://huggingface.co (HTTP 404): check the repo id.',
    );
  });

  it('a cancel says what was cancelled', () => {
    expect(describeForUser({ code: 'CANCELLED', message: 'upscaling was cancelled' }).message).toBe('Upscaling was cancelled.');
    expect(describeForUser({ code: 'CANCELLED', message: 'the download of org/name was cancelled; the partial files are kept' }).message).toBe('The download of org/name was cancelled; the partial files are kept.');
    expect(describeForUser({ code: 'CANCELLED', message: 'generation was cancelled' }).message).toBe('Generation was cancelled.');
  });

  it('a ComfyUI server that wants a token offers the token command; one that is down does not', () => {
    expect(describeForUser({ code: 'BACKEND_AUTH_REQUIRED', message: 'ComfyUI at gpu:8188 asks for a token (HTTP 401)' }).actions).toContain('setComfyToken');
    expect(describeForUser({ code: 'BACKEND_UNREACHABLE', message: 'ComfyUI at gpu:8188 did not answer' }).actions).not.toContain('setComfyToken');
  });

  it('an internal error points VS Code users at the log and CLI users at ATELIER_DEBUG', () => {
    expect(describeForUser({ code: 'INTERNAL', message: 'boom' }).message).toContain('with the Atelier log');
    const cli = describeForUser({ code: 'INTERNAL', message: 'boom' }, 'cli').message;
    expect(cli).toContain('ATELIER_DEBUG=1');
    expect(cli).not.toMatch(/log/i);
  });
});


describe('words for a missing ControlNet or ControlNet UNet', () => {
  it('a missing ControlNet names its type and offers to get it, not "the model is incomplete"', () => {
    const words = describeForUser({ code: 'CONTROLNET_MISSING', argument: 'openpose', message: 'control 1 (openpose): no openpose ControlNet was found under /cn' });
    expect(words.message).toBe('No OpenPose ControlNet is installed: control 1 (openpose): no openpose ControlNet was found under /cn.');
    expect(words.actions).toEqual(['getControlNet', 'openSettings']);
    expect(words.actions).not.toContain('chooseModel');
  });

  it('a model without the ControlNet UNet says so and offers a model that has one', () => {
    const words = describeForUser({ code: 'CONTROLNET_UNET_MISSING', argument: 'controlnet/model.onnx', message: '/m has no controlnet/model.onnx' });
    expect(words.message).toMatch(/^This model cannot run separate ControlNets, it lacks their UNet: \/m has no controlnet\/model\.onnx\.$/);
    expect(words.actions).toEqual(['getControlNetBase', 'chooseModel']);
  });

  it('names control types as the Hub does', () => {
    expect(controlTypeName('openpose')).toBe('OpenPose');
    expect(controlTypeName('canny')).toBe('Canny');
    expect(controlTypeName('tile')).toBe('tile');
    expect(controlTypeName(undefined)).toBe('matching');
  });
});
