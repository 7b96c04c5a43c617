import { Provider } from '@nestjs/common';
import { AppConfig, TesseraConfig } from '@tessera/common';
import { SharpImageRepository } from '@tessera/ingest/image';
import { FfmpegMediaRepository } from '@tessera/ingest/video';

/** The media adapters, configured from the validated config (no process-wide settings). */
export const mediaProviders: Provider[] = [
  {
    provide: FfmpegMediaRepository,
    useFactory: (c: TesseraConfig) =>
      new FfmpegMediaRepository({
        maxDurationS: c.limits.videoSeconds,
        ffmpegPath: process.env.FFMPEG_PATH,
        ffprobePath: process.env.FFPROBE_PATH,
      }),
    inject: [AppConfig.TOKEN],
  },
  {
    provide: SharpImageRepository,
    useFactory: (c: TesseraConfig) => new SharpImageRepository({ maxPixels: c.limits.imagePixels }),
    inject: [AppConfig.TOKEN],
  },
];
