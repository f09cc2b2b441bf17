// The one GLTFLoader setup. Built scenes are meshopt-compressed and quantized (EXT_meshopt_compression and
// KHR_mesh_quantization, both required), so every loader gets three.js's own MeshoptDecoder, served from
// /vendor/three/ like the rest of three (no CDN). The decoder compiles a small WebAssembly module, which the
// pages' Content-Security-Policy allows ('wasm-unsafe-eval' in script-src, server/http/security.py).
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/addons/libs/meshopt_decoder.module.js';

/** A GLTFLoader that reads vrstore's scenes (and any meshopt-compressed glTF). */
export function gltfLoader() {
  return new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
}
