import { describe, expect, it } from 'vitest';
import { parseSceneMetadata } from './ffmpeg-media.repository';

describe('parseSceneMetadata', () => {
  it('pairs each metadata=print frame line with its scene score', () => {
    const stderr = [
      'Input #0, matroska,webm, from x.mkv:',
      '[Parsed_metadata_2 @ 0x1] frame:0    pts:1001   pts_time:1.001',
      '[Parsed_metadata_2 @ 0x1] lavfi.scene_score=0.512345',
      'frame=   10 fps=0.0 q=-0.0 size=N/A time=00:00:01.00',
      '[Parsed_metadata_2 @ 0x1] frame:1    pts:20020  pts_time:20.02',
      '[Parsed_metadata_2 @ 0x1] lavfi.scene_score=0.9',
    ].join('\n');
    expect(parseSceneMetadata(stderr)).toEqual([
      { timeS: 1.001, score: 0.512345 },
      { timeS: 20.02, score: 0.9 },
    ]);
  });
});
