import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { isSoftwareAdapter } from '@tessera/tensor';

export interface WebGpuProbe {
  ok: boolean;
  reason: string;
  software?: boolean;
}

// Runs in a child so that collection stays synchronous (describe.skipIf needs the answer now)
// and a crashing driver takes down the child, not the test worker.
const CHILD = `
const say = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
try { require.resolve('@tensorflow/tfjs-backend-webgpu'); } catch (e) {
  say({ ok: false, reason: "package '@tensorflow/tfjs-backend-webgpu' not installed" });
}
let dawn;
try { dawn = require('webgpu'); } catch (e) { say({ ok: false, reason: "package 'webgpu' not loadable: " + String(e.message).split('\\n')[0] }); }
dawn.create([]).requestAdapter({ powerPreference: 'high-performance' }).then((a) => {
  if (!a) say({ ok: false, reason: 'no WebGPU adapter (no Vulkan driver; run scripts/install-vulkan-sw.sh as root)' });
  const i = a.info || {};
  say({ ok: true, info: { vendor: i.vendor, architecture: i.architecture, description: i.description, isFallbackAdapter: i.isFallbackAdapter } });
}, (e) => say({ ok: false, reason: 'requestAdapter failed: ' + String(e && e.message) }));
`;

/** Is a WebGPU adapter (hardware, or software when allowed) usable from this checkout? */
export function probeWebGpuSync(opts: { allowSoftware: boolean }): WebGpuProbe {
  const r = spawnSync(process.execPath, ['-e', CHILD], {
    cwd: resolve(__dirname, '../..'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0 || !r.stdout) {
    return { ok: false, reason: `WebGPU probe exited with ${r.status ?? r.signal}: ${r.stderr.split('\n')[0]}` };
  }
  const out = JSON.parse(r.stdout) as { ok: boolean; reason?: string; info?: Record<string, unknown> };
  if (!out.ok || !out.info) return { ok: false, reason: out.reason ?? 'unknown' };
  const info = out.info as {
    vendor?: string;
    architecture?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
  const software = isSoftwareAdapter(info);
  const label = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  if (software && !opts.allowSoftware) return { ok: false, reason: `only a software adapter: ${label}`, software };
  return { ok: true, reason: label, software };
}
