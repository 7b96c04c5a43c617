import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import {
  ComponentHealth,
  describeError,
  HEALTH_PROBES,
  HealthProbe,
  loadConfig,
  runHealthProbes,
  tesseraVersion,
} from '@tessera/common';
import { withPlatform } from '../platform/with-platform';

export interface DoctorReport {
  ok: boolean;
  versions: Record<string, string>;
  machine: { platform: string; arch: string; cpus: number; memoryGiB: number };
  config: { dataDir: string; database: string; vectorStore: string; queue: string; tfBackend: string };
  components: Record<string, ComponentHealth>;
}

/** Version from a package's own package.json, found next to its entry (some packages do not export it). */
function packageVersion(name: string): string {
  try {
    let dir = dirname(require.resolve(name));
    while (
      !existsSync(join(dir, 'package.json')) ||
      !readFileSync(join(dir, 'package.json'), 'utf8').includes(`"name": "${name}"`)
    ) {
      const up = dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function ffmpegVersion(): ComponentHealth {
  const r = spawnSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, error: 'ffmpeg not found on PATH (apt-get install -y ffmpeg)' };
  return { ok: true, kind: 'ffmpeg', detail: { version: /ffmpeg version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown' } };
}

function sharpInfo(): ComponentHealth {
  return { ok: true, kind: 'sharp', detail: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips } };
}

/**
 * The Vulkan drivers Dawn (the WebGPU backend) can see. Informational: Tessera runs without them
 * (wasm), so a missing driver never fails the check.
 */
function vulkanInfo(env: NodeJS.ProcessEnv): ComponentHealth {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
  const icds = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')) : []));
  const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some((f) =>
    existsSync(f),
  );
  return {
    ok: true,
    kind: 'vulkan',
    detail: {
      loader: loader ? 'libvulkan1 installed' : 'libvulkan1 missing (apt-get install libvulkan1)',
      icds: icds.length ? icds : 'none (GPU driver with Vulkan ICD, or scripts/install-vulkan-sw.sh for lavapipe)',
      ...(env.VK_DRIVER_FILES ? { VK_DRIVER_FILES: env.VK_DRIVER_FILES } : {}),
    },
  };
}

/** The same probes as `/health/ready`, over a platform context opened for the check. */
async function platformComponents(): Promise<Record<string, ComponentHealth>> {
  try {
    return await withPlatform(async (ctx) => (await runHealthProbes(ctx.get<HealthProbe[]>(HEALTH_PROBES))).components);
  } catch (e) {
    return { platform: { ok: false, error: describeError(e) } };
  }
}

export async function collectDoctorReport(env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const config = loadConfig(env);
  const components: Record<string, ComponentHealth> = {
    ...(await platformComponents()),
    ffmpeg: ffmpegVersion(),
    images: sharpInfo(),
    vulkan: vulkanInfo(env),
  };
  return {
    ok: Object.values(components).every((c) => c.ok),
    versions: {
      tessera: tesseraVersion(),
      node: process.versions.node,
      '@nestjs/core': packageVersion('@nestjs/core'),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
      webgpu: packageVersion('webgpu'),
      'better-sqlite3': packageVersion('better-sqlite3'),
      '@qdrant/js-client-rest': packageVersion('@qdrant/js-client-rest'),
    },
    machine: {
      platform: process.platform,
      arch: process.arch,
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    config: {
      dataDir: config.dataDir,
      database: config.database.kind === 'sqlite' ? `sqlite:${config.database.path}` : 'postgres',
      vectorStore: config.qdrant ? `qdrant:${config.qdrant.url}` : 'embedded',
      queue: config.redisUrl ? 'bullmq (redis)' : 'embedded (catalogue DB)',
      tfBackend: config.tfBackend,
    },
    components,
  };
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines = ['Tessera doctor', ''];
  lines.push('versions:');
  for (const [k, v] of Object.entries(r.versions)) lines.push(`  ${k.padEnd(24)} ${v}`);
  lines.push(`machine:  ${r.machine.platform}/${r.machine.arch}, ${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB`);
  lines.push('config:');
  for (const [k, v] of Object.entries(r.config)) lines.push(`  ${k.padEnd(24)} ${v}`);
  lines.push('components:');
  for (const [k, c] of Object.entries(r.components)) {
    const detail = c.detail ? ` ${JSON.stringify(c.detail)}` : '';
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${k.padEnd(20)} ${c.kind ?? ''}${detail}${c.error ? ` — ${c.error}` : ''}`);
    // The tensor backend in words: adapter, software or not, buffer limits.
    if (typeof c.detail?.summary === 'string') lines.push(`       ${''.padEnd(20)} ${c.detail.summary}`);
  }
  lines.push('', r.ok ? 'all components ok' : 'some components failed (see above)', '');
  return lines.join('\n');
}
