/* global AudioWorkletProcessor, registerProcessor */
// AudioWorklet that hands the microphone's mono samples to the page, for WAV voice notes
// (Instagram and Messenger take no WebM/Ogg audio). Loaded from this origin, so the UI's CSP allows it.
class PcmRecorder extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor('pcm-recorder', PcmRecorder);
