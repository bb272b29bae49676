import { describe, expect, it } from 'vitest';
import { encodeWav, concatChunks } from '../../src/lib/wav';
import { downsample } from '../../src/lib/recorder';

describe('WAV voice notes', () => {
  it('writes a valid 16-bit mono PCM header and clamps samples', () => {
    const wav = encodeWav(new Float32Array([0, 1, -1, 2]), 16000);
    const view = new DataView(wav.buffer);
    const ascii = (o: number) => String.fromCharCode(...wav.slice(o, o + 4));
    expect(ascii(0)).toBe('RIFF');
    expect(ascii(8)).toBe('WAVE');
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(16000);
    expect(view.getUint32(40, true)).toBe(8);
    expect(view.getInt16(46, true)).toBe(0x7fff);
    expect(view.getInt16(48, true)).toBe(-0x8000);
    expect(view.getInt16(50, true)).toBe(0x7fff);
  });
  it('joins chunks and downsamples 48 kHz to 16 kHz', () => {
    const joined = concatChunks([new Float32Array([1, 1, 1]), new Float32Array([0, 0, 0])]);
    expect(Array.from(downsample(joined, 48000, 16000))).toEqual([1, 0]);
  });
});
