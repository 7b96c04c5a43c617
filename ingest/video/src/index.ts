export * from './media-probe.types';
export * from './clip-planner';
export * from './ffmpeg-media.repository';
export * from './container-sniffer';
