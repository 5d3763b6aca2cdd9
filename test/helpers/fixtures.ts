import path from 'node:path';
import { fixtureModel, type FixtureOptions } from '../fixtures/onnx/modelFolder';

export const TOKENIZER_ASSETS = path.resolve('assets/clip-tokenizer');
export const SHARED_TOKENIZER = path.resolve('../shared/data/clip-tokenizer');

export function oracleModel(options: Partial<Omit<FixtureOptions, 'family' | 'tokenizerSource'>> = {}): string {
  return fixtureModel({ family: 'oracle', tokenizerSource: TOKENIZER_ASSETS, ...options });
}

export function tinyModel(options: Partial<Omit<FixtureOptions, 'family' | 'tokenizerSource'>> = {}): string {
  return fixtureModel({ family: 'tiny-random', tokenizerSource: TOKENIZER_ASSETS, ...options });
}

export const quietLog = (): void => undefined;
