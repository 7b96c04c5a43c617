/** What ffprobe says about a file, reduced to the fields ingest decides on. */
export interface VideoStreamInfo {
  index: number;
  codec: string;
  width: number;
  height: number;
  /** Frames per second from the stream's average (or nominal) rate; 0 when unknown. */
  fps: number;
  /** Clockwise display rotation in degrees (0, 90, 180, 270). ffmpeg applies it when decoding. */
  rotation: number;
  /** Size as shown: sample aspect ratio and rotation applied. */
  displayWidth: number;
  displayHeight: number;
  pixelFormat?: string;
  /** This stream's own length when the container says (a subtitle track can outlast the picture). */
  durationS?: number;
}

export interface AudioStreamInfo {
  index: number;
  codec: string;
  sampleRate: number;
  channels: number;
  language?: string;
}

export interface SubtitleStreamInfo {
  index: number;
  codec: string;
  language?: string;
  /** Bitmap subtitles (dvd_subtitle, pgs) carry no text to align. */
  textBased: boolean;
}

export interface MediaProbe {
  path: string;
  durationS: number;
  /** ffprobe's format name, e.g. "matroska,webm" or "mov,mp4,m4a,3gp,3g2,mj2". */
  container: string;
  sizeBytes: number;
  bitRate?: number;
  videoStreams: VideoStreamInfo[];
  audioStreams: AudioStreamInfo[];
  subtitleStreams: SubtitleStreamInfo[];
}

export interface SampleFramesOptions {
  /** Frames per second to sample (default 1). */
  fps?: number;
  /** Output size; give one to keep the aspect ratio, both to resize with `fit`, none for the display size. */
  width?: number;
  height?: number;
  /** cover: scale then centre-crop (default); fill: stretch; contain: letterbox with black. */
  fit?: 'cover' | 'fill' | 'contain';
  /** Stop after this many frames (default 64). */
  maxFrames?: number;
  /** Sample only from this window of the video (seconds). */
  startS?: number;
  endS?: number;
}

/** Decoded RGB frames, each `width * height * 3` bytes, row-major, ready for tensor construction. */
export interface SampledFrames {
  width: number;
  height: number;
  channels: 3;
  frames: Uint8Array[];
  /** Presentation time of each frame (seconds from the start of the file). */
  timestampsS: number[];
}

export interface KeyframeOptions {
  count?: number;
  /** Thumbnail width in pixels (height keeps the aspect ratio). Default 320. */
  width?: number;
  /** ffmpeg scene score above which a frame counts as a cut. Default 0.3. */
  sceneThreshold?: number;
  /** JPEG quality on ffmpeg's 2 (best) to 31 scale. Default 4. */
  jpegQuality?: number;
}

export interface Keyframe {
  timeS: number;
  jpeg: Buffer;
  /** scene: found by scene-change detection; even: filled in at an evenly spaced time. */
  source: 'scene' | 'even';
}

export interface TimedCue {
  startS: number;
  endS: number;
  text?: string;
}

export type SegmentOptions =
  | {
      mode: 'fixed';
      lengthS: number;
      /** A last clip shorter than this joins the one before. Default lengthS/4. */ minLastS?: number;
    }
  | {
      mode: 'cues';
      cues: TimedCue[];
      /** Consecutive cues closer than this join one clip. Default 0.5 s. */
      mergeGapS?: number;
      /** A joined clip stops growing at this length. Default 10 s. */
      maxLengthS?: number;
      /** Clips shorter than this are widened around their centre. Default 1 s. */
      minLengthS?: number;
    };

export interface ClipBoundary {
  index: number;
  startS: number;
  endS: number;
  /** Indices into the cue list a cue-based clip was built from. */
  cueIndices?: number[];
}

export interface ClipPlan {
  clips: ClipBoundary[];
  /** Cues dropped or clipped because they fall (partly) outside the media. */
  notes: { cueIndex: number; action: 'dropped' | 'clipped'; reason: string }[];
}

export interface SampleClipsOptions extends Omit<SampleFramesOptions, 'startS' | 'endS' | 'maxFrames'> {
  /** Keep at most this many frames per clip, evenly spread (default: all at `fps`). */
  maxFramesPerClip?: number;
}

/** The frames of one clip; the Uint8Arrays may be shared with overlapping clips. */
export interface ClipFrames {
  clip: { startS: number; endS: number };
  frames: Uint8Array[];
  timestampsS: number[];
}

export interface ExtractAudioOptions {
  /** Output rate in Hz (default 16000, what speech models take). */
  sampleRate?: number;
  /** Mix down to one channel (default true). */
  mono?: boolean;
  startS?: number;
  endS?: number;
  /** Refuse output longer than this many seconds (default 3600). */
  maxSeconds?: number;
}

/** PCM samples in [-1, 1], interleaved when there are several channels. */
export interface AudioSamples {
  sampleRate: number;
  channels: number;
  samples: Float32Array;
}
