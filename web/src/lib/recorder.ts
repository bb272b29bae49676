// Recording a voice note in the browser. WhatsApp gets WebM/Opus from MediaRecorder (the server
// remuxes it into the Ogg/Opus a WhatsApp voice note needs); Messenger and Instagram get WAV, which
// both accept (Instagram takes no Ogg or WebM audio).
import { concatChunks, encodeWav } from './wav';

export type RecordingFormat = 'webm' | 'wav';

export interface Recording {
  blob: Blob;
  filename: string;
}

export interface Recorder {
  stop(): Promise<Recording>;
  cancel(): void;
}

export class MicrophoneDenied extends Error {}
export class RecordingUnsupported extends Error {}

export function formatFor(channelKind: string): RecordingFormat {
  return channelKind === 'messenger' || channelKind === 'instagram' ? 'wav' : 'webm';
}

const WAV_RATE = 16_000;

async function microphone(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new RecordingUnsupported();
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  } catch (e) {
    if (e instanceof DOMException && (e.name === 'NotAllowedError' || e.name === 'SecurityError')) throw new MicrophoneDenied();
    throw new RecordingUnsupported();
  }
}

export async function startRecording(format: RecordingFormat): Promise<Recorder> {
  const stream = await microphone();
  const release = () => stream.getTracks().forEach((tr) => tr.stop());
  return format === 'webm' ? mediaRecorder(stream, release) : pcmRecorder(stream, release);
}

function mediaRecorder(stream: MediaStream, release: () => void): Recorder {
  const mime = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'].find((m) => MediaRecorder.isTypeSupported(m));
  if (!mime) {
    release();
    throw new RecordingUnsupported();
  }
  const recorder = new MediaRecorder(stream, { mimeType: mime, audioBitsPerSecond: 32_000 });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
  recorder.start(250);
  return {
    stop: () =>
      new Promise((resolve) => {
        recorder.onstop = () => {
          release();
          const type = mime.split(';')[0] ?? 'audio/webm';
          const ext = type === 'audio/mp4' ? 'm4a' : type === 'audio/ogg' ? 'ogg' : 'webm';
          resolve({ blob: new Blob(chunks, { type }), filename: `nota-de-voz.${ext}` });
        };
        recorder.stop();
      }),
    cancel: () => {
      recorder.onstop = null;
      if (recorder.state !== 'inactive') recorder.stop();
      release();
    },
  };
}

async function pcmRecorder(stream: MediaStream, release: () => void): Promise<Recorder> {
  const ctx = new AudioContext();
  await ctx.audioWorklet.addModule('/pcm-recorder.js');
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, 'pcm-recorder');
  const chunks: Float32Array[] = [];
  node.port.onmessage = (e: MessageEvent<Float32Array>) => chunks.push(e.data);
  source.connect(node);
  const close = () => {
    source.disconnect();
    node.disconnect();
    release();
    void ctx.close();
  };
  return {
    stop: async () => {
      close();
      const samples = downsample(concatChunks(chunks), ctx.sampleRate, WAV_RATE);
      const wav = encodeWav(samples, WAV_RATE);
      return { blob: new Blob([wav.buffer as ArrayBuffer], { type: 'audio/wav' }), filename: 'nota-de-voz.wav' };
    },
    cancel: close,
  };
}

/** Averages input samples into each output sample (a simple low-pass + decimation, enough for speech). */
export function downsample(input: Float32Array, from: number, to: number): Float32Array {
  if (to >= from) return input;
  const ratio = from / to;
  const out = new Float32Array(Math.floor(input.length / ratio));
  for (let i = 0; i < out.length; i++) {
    const start = Math.floor(i * ratio);
    const end = Math.min(input.length, Math.floor((i + 1) * ratio));
    let sum = 0;
    for (let j = start; j < end; j++) sum += input[j] ?? 0;
    out[i] = sum / Math.max(1, end - start);
  }
  return out;
}
