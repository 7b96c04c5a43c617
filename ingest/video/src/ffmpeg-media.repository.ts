import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Injectable } from '@nestjs/common';
import {
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  TesseraError,
  UnsupportedMediaError,
  UpstreamUnavailableError,
} from '@tessera/common';
import ffmpeg from 'fluent-ffmpeg';
import { planClips } from './clip-planner';
import { looksLikeMediaContainer } from './container-sniffer';
import { runProcess, stderrTail, type ProcessResult } from './ffmpeg-process';
import type {
  AudioSamples,
  AudioStreamInfo,
  ClipPlan,
  ClipFrames,
  ExtractAudioOptions,
  Keyframe,
  KeyframeOptions,
  MediaProbe,
  SampleClipsOptions,
  SampledFrames,
  SampleFramesOptions,
  SegmentOptions,
  SubtitleStreamInfo,
  VideoStreamInfo,
} from './media-probe.types';

export interface FfmpegMediaOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Kill ffmpeg/ffprobe after this long (default 120 s). */
  timeoutMs?: number;
  /** Refuse media longer than this (config `limits.videoSeconds`). */
  maxDurationS?: number;
  /** Refuse a sampleFrames call whose output would exceed this many bytes (default 512 MiB). */
  maxFrameBytes?: number;
  /** Demuxers ffmpeg may open (default DEFAULT_MEDIA_FORMATS). */
  allowedFormats?: readonly string[];
}

/**
 * Container demuxers an upload may use. Without a list, ffmpeg follows the content, not the name:
 * an HLS playlist or concat script named .mp4 opens and reads the files or URLs it lists.
 */
export const DEFAULT_MEDIA_FORMATS: readonly string[] = [
  'mov',
  'mp4',
  'm4a',
  '3gp',
  '3g2',
  'mj2',
  'matroska',
  'webm',
  'avi',
  'asf',
  'flv',
  'mpegts',
  'mpeg',
  'mpegvideo',
  'm4v',
  'h264',
  'hevc',
  'ivf',
  'mxf',
  'ogg',
  'wav',
  'w64',
  'aiff',
  'caf',
  'mp3',
  'aac',
  'ac3',
  'eac3',
  'flac',
  'gif',
  'image2',
  'png_pipe',
  'jpeg_pipe',
  'webp_pipe',
];

const BITMAP_SUBTITLES = new Set(['dvd_subtitle', 'hdmv_pgs_subtitle', 'dvb_subtitle', 'xsub']);

interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  sample_rate?: string;
  channels?: number;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string };
}

/**
 * The one adapter over ffmpeg/ffprobe. Frame sampling, probing and scene detection spawn
 * the binaries directly (byte-exact pipes, uniform timeouts); fluent-ffmpeg is kept for the
 * single-frame thumbnail grab and stays inside this file so replacing it touches nothing else.
 */
@Injectable()
export class FfmpegMediaRepository {
  private readonly ffmpegPath: string;
  private readonly ffprobePath: string;
  private readonly timeoutMs: number;
  private readonly maxDurationS: number;
  private readonly maxFrameBytes: number;
  private readonly formatWhitelist: string;

  constructor(options: FfmpegMediaOptions = {}) {
    this.ffmpegPath = options.ffmpegPath ?? 'ffmpeg';
    this.ffprobePath = options.ffprobePath ?? 'ffprobe';
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxDurationS = options.maxDurationS ?? Number.POSITIVE_INFINITY;
    this.maxFrameBytes = options.maxFrameBytes ?? 512 * 1024 * 1024;
    this.formatWhitelist = (options.allowedFormats ?? DEFAULT_MEDIA_FORMATS).join(',');
  }

  /**
   * Input arguments for one file: only the listed demuxers, and the `file:` protocol, so a name
   * like `concat:a|b`, `http://...` or `-x` is read as a plain path, never as a protocol or option.
   */
  private input(path: string): [string, string, string, string] {
    return ['-format_whitelist', this.formatWhitelist, '-i', `file:${resolve(path)}`];
  }

  async probe(path: string): Promise<MediaProbe> {
    const sizeBytes = await this.checkFile(path);
    const url = this.input(path)[3];
    const chunks: Buffer[] = [];
    const res = await this.run(
      this.ffprobePath,
      [
        '-v',
        'error',
        '-print_format',
        'json',
        '-show_format',
        '-show_streams',
        '-format_whitelist',
        this.formatWhitelist,
        url,
      ],
      path,
      (c) => void chunks.push(c),
    );
    await this.throwOnFailure(res, path, 'ffprobe');
    let raw: FfprobeOutput;
    try {
      raw = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FfprobeOutput;
    } catch {
      throw new UnsupportedMediaError(`${path}: ffprobe returned no readable description`, { path });
    }
    const streams = raw.streams ?? [];
    if (!raw.format || streams.length === 0) {
      throw new UnsupportedMediaError(`${path}: no audio, video or subtitle streams found`, { path });
    }
    const videoStreams = streams.filter((s) => s.codec_type === 'video' && !isAttachedPicture(s)).map(toVideoStream);
    const audioStreams: AudioStreamInfo[] = streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({
        index: s.index,
        codec: s.codec_name ?? 'unknown',
        sampleRate: Number(s.sample_rate ?? 0),
        channels: s.channels ?? 0,
        language: s.tags?.language,
      }));
    const subtitleStreams: SubtitleStreamInfo[] = streams
      .filter((s) => s.codec_type === 'subtitle')
      .map((s) => ({
        index: s.index,
        codec: s.codec_name ?? 'unknown',
        language: s.tags?.language,
        textBased: !BITMAP_SUBTITLES.has(s.codec_name ?? ''),
      }));
    const durationS = pickDuration(raw, streams);
    if (durationS > this.maxDurationS) {
      throw new PayloadTooLargeError(
        `${path}: ${durationS.toFixed(1)} s is longer than the ${this.maxDurationS} s limit`,
        {
          path,
          durationS,
          maxDurationS: this.maxDurationS,
        },
      );
    }
    return {
      path,
      durationS,
      container: raw.format.format_name ?? 'unknown',
      sizeBytes,
      bitRate: raw.format.bit_rate ? Number(raw.format.bit_rate) : undefined,
      videoStreams,
      audioStreams,
      subtitleStreams,
    };
  }

  async hasAudio(path: string): Promise<boolean> {
    return (await this.probe(path)).audioStreams.length > 0;
  }

  /** RGB24 frames at `fps`, resized on the ffmpeg side and read straight from its stdout. */
  async sampleFrames(path: string, options: SampleFramesOptions = {}): Promise<SampledFrames> {
    const info = await this.probe(path);
    const video = this.requireVideo(info);
    const fps = options.fps ?? 1;
    const maxFrames = options.maxFrames ?? 64;
    if (!(fps > 0) || !Number.isInteger(maxFrames) || maxFrames < 1) {
      throw new InvalidInputError(
        `sampleFrames needs fps > 0 and maxFrames >= 1 (got fps=${fps}, maxFrames=${maxFrames})`,
      );
    }
    const { width, height, filters } = outputGeometry(video, options);
    const frameBytes = width * height * 3;
    if (frameBytes * maxFrames > this.maxFrameBytes) {
      throw new PayloadTooLargeError(
        `${maxFrames} frames of ${width}x${height} need ${frameBytes * maxFrames} bytes, over the ${this.maxFrameBytes} limit`,
        { width, height, maxFrames },
      );
    }
    const startS = Math.max(0, options.startS ?? 0);
    const args = ['-v', 'error', '-nostdin'];
    if (startS > 0) args.push('-ss', String(startS));
    args.push(...this.input(path));
    if (options.endS !== undefined) {
      if (!(options.endS > startS))
        throw new InvalidInputError(`endS (${options.endS}) must be after startS (${startS})`);
      args.push('-t', String(options.endS - startS));
    }
    args.push(
      '-map',
      `0:${video.index}`,
      '-an',
      '-sn',
      '-vf',
      [`fps=${fps}`, ...filters].join(','),
      '-frames:v',
      String(maxFrames),
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      'pipe:1',
    );
    const buffer = Buffer.alloc(frameBytes * maxFrames);
    let filled = 0;
    const res = await this.run(this.ffmpegPath, args, path, (chunk) => {
      const n = Math.min(chunk.length, buffer.length - filled);
      chunk.copy(buffer, filled, 0, n);
      filled += n;
      return filled < buffer.length;
    });
    const count = Math.floor(filled / frameBytes);
    // A decode error after some frames still fails: half a video is not a sample of it.
    await this.throwOnFailure(res, path, 'ffmpeg');
    if (count === 0) {
      throw new InvalidInputError(`${path}: no frames could be decoded${startS > 0 ? ` after ${startS} s` : ''}`, {
        path,
      });
    }
    const frames: Uint8Array[] = [];
    const timestampsS: number[] = [];
    for (let i = 0; i < count; i++) {
      frames.push(new Uint8Array(buffer.buffer, buffer.byteOffset + i * frameBytes, frameBytes));
      timestampsS.push(Math.round((startS + i / fps) * 1000) / 1000);
    }
    return { width, height, channels: 3, frames, timestampsS };
  }

  /** Decoded audio of the first audio stream as 32-bit float PCM (`-f f32le`), resampled by ffmpeg. */
  async extractAudio(path: string, options: ExtractAudioOptions = {}): Promise<AudioSamples> {
    const info = await this.probe(path);
    const audio = info.audioStreams[0];
    if (!audio) throw new UnsupportedMediaError(`${path}: has no audio stream`, { path });
    const sampleRate = options.sampleRate ?? 16_000;
    const channels = (options.mono ?? true) ? 1 : Math.max(1, audio.channels);
    if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 192_000) {
      throw new InvalidInputError(`sampleRate must be an integer in 1000..192000, got ${sampleRate}`);
    }
    const startS = Math.max(0, options.startS ?? 0);
    const endS = Math.min(options.endS ?? info.durationS, info.durationS);
    const maxSeconds = options.maxSeconds ?? 3600;
    if (endS - startS > maxSeconds) {
      throw new PayloadTooLargeError(
        `${path}: ${(endS - startS).toFixed(1)} s of audio is over the ${maxSeconds} s limit`,
        { path },
      );
    }
    const args = ['-v', 'error', '-nostdin'];
    if (startS > 0) args.push('-ss', String(startS));
    args.push(...this.input(path), '-map', `0:${audio.index}`, '-vn', '-sn', '-t', String(Math.max(0, endS - startS)));
    args.push('-ac', String(channels), '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1');
    // Sized from the requested span plus a second of slack; anything beyond is not read.
    const buffer = Buffer.alloc(Math.ceil((endS - startS + 1) * sampleRate) * channels * 4);
    let filled = 0;
    const res = await this.run(this.ffmpegPath, args, path, (chunk) => {
      const n = Math.min(chunk.length, buffer.length - filled);
      chunk.copy(buffer, filled, 0, n);
      filled += n;
      return filled < buffer.length;
    });
    await this.throwOnFailure(res, path, 'ffmpeg');
    const frameBytes = 4 * channels;
    const usable = filled - (filled % frameBytes);
    // Copy into a fresh, aligned Float32Array (the Buffer may sit at an odd offset in the pool).
    const samples = new Float32Array(usable / 4);
    new Uint8Array(samples.buffer).set(buffer.subarray(0, usable));
    return { sampleRate, channels, samples };
  }

  /**
   * Frames for many clips of one video from a single decode pass (one ffmpeg run instead of
   * one per clip): frames are sampled at `fps` over the clips' span and handed to every clip
   * whose [start, end) holds them; a clip shorter than one frame interval gets the nearest frame.
   */
  async sampleClips(
    path: string,
    clips: { startS: number; endS: number }[],
    options: SampleClipsOptions = {},
  ): Promise<{ width: number; height: number; clips: ClipFrames[] }> {
    if (clips.length === 0) throw new InvalidInputError('sampleClips needs at least one clip');
    for (const c of clips) {
      if (!(c.endS > c.startS) || c.startS < 0)
        throw new InvalidInputError(`clip ${c.startS}-${c.endS} s is empty or negative`);
    }
    const fps = options.fps ?? 1;
    const startS = Math.min(...clips.map((c) => c.startS));
    const endS = Math.max(...clips.map((c) => c.endS));
    // One interval past the end: the fps filter drops its last slot when the input stops right after it.
    const all = await this.sampleFrames(path, {
      ...options,
      fps,
      startS,
      endS: endS + 1 / fps,
      maxFrames: Math.ceil((endS - startS) * fps) + 2,
    });
    const per = options.maxFramesPerClip;
    const out = clips.map((clip) => {
      let idx = all.timestampsS.flatMap((t, i) => (t >= clip.startS && t < clip.endS ? [i] : []));
      if (idx.length === 0) {
        const mid = (clip.startS + clip.endS) / 2;
        let best = 0;
        all.timestampsS.forEach((t, i) => {
          if (Math.abs(t - mid) < Math.abs(all.timestampsS[best] - mid)) best = i;
        });
        idx = [best];
      }
      if (per !== undefined && idx.length > per) {
        idx = Array.from({ length: per }, (_, j) => idx[Math.floor(((j + 0.5) * idx.length) / per)]);
      }
      return { clip, frames: idx.map((i) => all.frames[i]), timestampsS: idx.map((i) => all.timestampsS[i]) };
    });
    return { width: all.width, height: all.height, clips: out };
  }

  /**
   * Scene-aware thumbnails. Pass 1 scores scene changes over the whole video on small frames
   * (`select='gt(scene,T)'`, no output); the strongest `count` cuts are kept, topped up with
   * evenly spaced times when a video has fewer; pass 2 grabs a JPEG at each chosen time.
   */
  async keyframes(path: string, options: KeyframeOptions = {}): Promise<Keyframe[]> {
    const info = await this.probe(path);
    const video = this.requireVideo(info);
    const count = options.count ?? 8;
    const width = options.width ?? 320;
    const threshold = options.sceneThreshold ?? 0.3;
    const quality = options.jpegQuality ?? 4;
    if (!Number.isInteger(count) || count < 1) throw new InvalidInputError(`keyframe count must be >= 1, got ${count}`);
    if (!Number.isInteger(width) || width < 16 || width > 4096)
      throw new InvalidInputError(`keyframe width must be in 16..4096, got ${width}`);

    const res = await this.run(
      this.ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-nostats',
        '-v',
        'info',
        ...this.input(path),
        '-map',
        `0:${video.index}`,
        '-an',
        '-sn',
        '-vf',
        `scale=160:-2,select='gt(scene,${threshold})',metadata=print:key=lavfi.scene_score`,
        '-fps_mode',
        'vfr',
        '-f',
        'null',
        '-',
      ],
      path,
      undefined,
      { stderrTailBytes: 8 * 1024 * 1024 },
    );
    await this.throwOnFailure(res, path, 'ffmpeg');
    const durationS = video.durationS ?? info.durationS;
    const scenes = parseSceneMetadata(res.stderr)
      .filter((m) => m.timeS < durationS)
      .sort((a, b) => b.score - a.score || a.timeS - b.timeS)
      .slice(0, count);
    const even = pickEvenTimes(
      durationS,
      count,
      count - scenes.length,
      scenes.map((m) => m.timeS),
    );
    const chosen = [
      ...scenes.map((m) => ({ timeS: m.timeS, source: 'scene' as const })),
      ...even.map((timeS) => ({ timeS, source: 'even' as const })),
    ].sort((a, b) => a.timeS - b.timeS);
    const out: Keyframe[] = [];
    for (const c of chosen) out.push({ ...c, jpeg: await this.grabFrame(path, c.timeS, width, quality) });
    return out;
  }

  /**
   * Clip boundaries: fixed windows or windows from subtitle/transcript cues. They span the
   * picture when there is one (a subtitle track may run past it), else the whole file.
   */
  async segment(path: string, options: SegmentOptions): Promise<ClipPlan> {
    const info = await this.probe(path);
    return planClips(info.videoStreams[0]?.durationS ?? info.durationS, options);
  }

  /** One JPEG at `timeS`, through fluent-ffmpeg (its timeout option kills a stuck process). */
  private grabFrame(path: string, timeS: number, width: number, quality: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const [, formats, , url] = this.input(path);
      ffmpeg(url, { timeout: Math.ceil(this.timeoutMs / 1000) })
        .setFfmpegPath(this.ffmpegPath)
        .inputOptions(['-format_whitelist', formats])
        .seekInput(timeS)
        .noAudio()
        .videoFilters(`scale=${width}:-2`)
        .outputOptions([
          '-frames:v',
          '1',
          '-f',
          'image2pipe',
          '-c:v',
          'mjpeg',
          '-pix_fmt',
          'yuvj420p',
          '-q:v',
          String(quality),
        ])
        .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
          const timedOut = /timeout/i.test(err.message);
          const code = Number(/code (\d+)/.exec(err.message)?.[1] ?? NaN);
          reject(
            this.translate(
              { code: Number.isNaN(code) ? 1 : code, signal: null, stderr: stderr ?? err.message, timedOut },
              path,
              'ffmpeg',
            ),
          );
        })
        .on('end', () => {
          const jpeg = Buffer.concat(chunks);
          if (jpeg.length === 0) reject(new InvalidInputError(`${path}: no frame at ${timeS} s`, { path, timeS }));
          else resolve(jpeg);
        })
        .pipe(out, { end: true });
    });
  }

  private requireVideo(info: MediaProbe): VideoStreamInfo {
    const video = info.videoStreams[0];
    if (!video) {
      const has = info.audioStreams.length ? 'audio only' : 'no audio or video';
      throw new UnsupportedMediaError(`${info.path}: has no video stream (${has})`, { path: info.path });
    }
    if (video.codec === 'unknown' || video.codec === 'none') {
      throw new UnsupportedMediaError(`${info.path}: video codec is not recognised by this ffmpeg build`, {
        path: info.path,
      });
    }
    return video;
  }

  private async checkFile(path: string): Promise<number> {
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new InvalidInputError(`${path} is not a regular file`, { path });
      size = s.size;
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      throw new NotFoundError(`media file not found: ${path}`, { path }, { cause: e });
    }
    if (size === 0) throw new InvalidInputError(`${path} is empty (0 bytes)`, { path });
    return size;
  }

  private run(
    bin: string,
    args: string[],
    path: string,
    onStdout?: (c: Buffer) => boolean | void,
    extra: { stderrTailBytes?: number } = {},
  ): Promise<ProcessResult> {
    void path;
    return runProcess(bin, args, { timeoutMs: this.timeoutMs, onStdout, ...extra });
  }

  private async throwOnFailure(res: ProcessResult, path: string, tool: string): Promise<void> {
    if (!res.timedOut && res.code === 0) return;
    const err = this.translate(res, path, tool);
    // A demuxer failure on bytes that are no container at all means "not media", not "damaged".
    if (
      err instanceof InvalidInputError &&
      /damaged or truncated/.test(err.message) &&
      !(await this.startsLikeMedia(path))
    ) {
      throw new UnsupportedMediaError(
        `${path}: not a recognised media container (${stderrTail(res.stderr)})`,
        err.details,
      );
    }
    throw err;
  }

  private async startsLikeMedia(path: string): Promise<boolean> {
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(512);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      return looksLikeMediaContainer(head.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  }

  /** ffmpeg's exit status and stderr tail, as a typed error a caller can act on. */
  private translate(res: ProcessResult, path: string, tool: string): TesseraError {
    const tail = stderrTail(res.stderr);
    const details = { path, tool, exitCode: res.code, stderrTail: tail };
    if (res.timedOut) {
      return new UpstreamUnavailableError(`${tool} timed out after ${this.timeoutMs} ms on ${path}`, {
        ...details,
        timeoutMs: this.timeoutMs,
      });
    }
    const s = res.stderr;
    const refused = /\[(\w+) @ [^\]]*\] Format not on whitelist/.exec(s);
    if (refused) {
      return new UnsupportedMediaError(`${path}: container format "${refused[1]}" is not accepted`, {
        ...details,
        format: refused[1],
      });
    }
    if (/No such file or directory/i.test(s)) return new NotFoundError(`media file not found: ${path}`, details);
    if (
      /Decoder \(codec [^)]*\) not found|unknown codec|Unsupported codec|no decoder|Could not find codec parameters/i.test(
        s,
      )
    ) {
      return new UnsupportedMediaError(`${path}: codec not supported by this ffmpeg build (${tail})`, details);
    }
    if (
      /moov atom not found|truncat|End of file|partial file|corrupt|Invalid NAL|error while decoding|Packet mismatch|invalid frame/i.test(
        s,
      )
    ) {
      return new InvalidInputError(`${path}: media is damaged or truncated (${tail})`, details);
    }
    if (/Invalid data found when processing input|could not find corresponding|unknown format|not a valid/i.test(s)) {
      return new UnsupportedMediaError(`${path}: not a recognised media container (${tail})`, details);
    }
    return new InvalidInputError(
      `${path}: ${tool} exited with ${res.code ?? res.signal}${tail ? `: ${tail}` : ''}`,
      details,
    );
  }
}

function isAttachedPicture(s: FfprobeStream & { disposition?: { attached_pic?: number } }): boolean {
  return s.disposition?.attached_pic === 1;
}

function parseRate(r?: string): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (!d) return Number.isFinite(n) ? n : 0;
  return n / d;
}

function toVideoStream(s: FfprobeStream): VideoStreamInfo {
  const rotRaw = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  // ffprobe's display-matrix rotation is counter-clockwise; the old `rotate` tag is clockwise.
  const clockwise = rotRaw !== undefined ? -rotRaw : Number(s.tags?.rotate ?? 0);
  const rotation = (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
  const width = s.width ?? 0;
  const height = s.height ?? 0;
  const [sn, sd] = (s.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = sn > 0 && sd > 0 ? sn / sd : 1;
  let dw = Math.max(1, Math.round(width * sar));
  let dh = height;
  if (rotation === 90 || rotation === 270) [dw, dh] = [dh, dw];
  return {
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    width,
    height,
    fps: Math.round((parseRate(s.avg_frame_rate) || parseRate(s.r_frame_rate)) * 1000) / 1000,
    rotation,
    displayWidth: dw,
    displayHeight: dh,
    pixelFormat: s.pix_fmt,
    durationS: streamDuration(s),
  };
}

function streamDuration(s: FfprobeStream): number | undefined {
  const d = Number(s.duration);
  if (Number.isFinite(d) && d > 0) return d;
  // Matroska keeps per-track length in a DURATION tag ("00:01:00.060000000").
  const m = /^(\d+):(\d+):([\d.]+)$/.exec(s.tags?.DURATION ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

function pickDuration(raw: FfprobeOutput, streams: FfprobeStream[]): number {
  const fromFormat = Number(raw.format?.duration);
  if (Number.isFinite(fromFormat) && fromFormat > 0) return fromFormat;
  return Math.max(0, ...streams.map((s) => streamDuration(s) ?? 0));
}

/** Output size and the filters after `fps=`: display-aspect correction, then resize. */
function outputGeometry(
  v: VideoStreamInfo,
  o: SampleFramesOptions,
): { width: number; height: number; filters: string[] } {
  for (const [k, val] of [
    ['width', o.width],
    ['height', o.height],
  ] as const) {
    if (val !== undefined && (!Number.isInteger(val) || val < 1 || val > 8192)) {
      throw new InvalidInputError(`${k} must be an integer in 1..8192, got ${val}`);
    }
  }
  const dw = v.displayWidth;
  const dh = v.displayHeight;
  // ffmpeg applies rotation before our filters; square the pixels first so aspect maths is on display size.
  const filters = [`scale=${dw}:${dh}`, 'setsar=1'];
  let width = o.width;
  let height = o.height;
  if (width === undefined && height === undefined) return { width: dw, height: dh, filters };
  if (width === undefined) width = Math.max(1, Math.round((height! * dw) / dh));
  if (height === undefined) height = Math.max(1, Math.round((width * dh) / dw));
  const fit = o.width !== undefined && o.height !== undefined ? (o.fit ?? 'cover') : 'fill';
  if (fit === 'fill') filters.push(`scale=${width}:${height}`);
  else if (fit === 'cover')
    filters.push(`scale=${width}:${height}:force_original_aspect_ratio=increase`, `crop=${width}:${height}`);
  else
    filters.push(
      `scale=${width}:${height}:force_original_aspect_ratio=decrease`,
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black`,
    );
  filters.push('setsar=1');
  return { width, height, filters };
}

/** `metadata=print` writes "frame:N pts:P pts_time:T" then "lavfi.scene_score=S" per selected frame. */
export function parseSceneMetadata(stderr: string): { timeS: number; score: number }[] {
  const out: { timeS: number; score: number }[] = [];
  let time: number | undefined;
  for (const line of stderr.split('\n')) {
    const t = /pts_time:\s*([\d.]+)/.exec(line);
    if (t) time = Number(t[1]);
    const s = /lavfi\.scene_score=([\d.]+)/.exec(line);
    if (s && time !== undefined) {
      out.push({ timeS: Math.round(time * 1000) / 1000, score: Number(s[1]) });
      time = undefined;
    }
  }
  return out;
}

/** `missing` times from an even grid of `count` slots, the ones farthest from frames already picked. */
function pickEvenTimes(durationS: number, count: number, missing: number, taken: number[]): number[] {
  if (missing <= 0) return [];
  const grid = Array.from({ length: count }, (_, j) => Math.round(((j + 0.5) * durationS * 1000) / count) / 1000);
  const dist = (t: number) => (taken.length ? Math.min(...taken.map((x) => Math.abs(x - t))) : Infinity);
  return grid
    .map((t, j) => ({ t, j, d: dist(t) }))
    .sort((a, b) => b.d - a.d || a.j - b.j)
    .slice(0, missing)
    .map((x) => x.t)
    .sort((a, b) => a - b);
}
