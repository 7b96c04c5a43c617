/**
 * Does the start of a file look like a media container ffmpeg reads? Used only on the
 * error path: ffmpeg picks a demuxer from the file extension, so a text file named .mp4
 * fails with the same "moov atom not found" as a truncated MP4. The magic bytes tell them apart.
 */
export function looksLikeMediaContainer(head: Buffer): boolean {
  const at = (offset: number, ascii: string) =>
    head.subarray(offset, offset + ascii.length).toString('latin1') === ascii;
  const bytes = (offset: number, ...b: number[]) => b.every((x, i) => head[offset + i] === x);
  return (
    ['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot'].some((box) => at(4, box)) || // ISO BMFF / QuickTime
    bytes(0, 0x1a, 0x45, 0xdf, 0xa3) || // EBML: Matroska, WebM
    at(0, 'RIFF') || // AVI, WAV
    at(0, 'OggS') ||
    at(0, 'FLV') ||
    at(0, 'fLaC') ||
    at(0, 'ID3') ||
    (head[0] === 0xff && (head[1] & 0xe0) === 0xe0) || // MPEG audio frame sync
    bytes(0, 0x00, 0x00, 0x01, 0xba) || // MPEG program stream
    (head[0] === 0x47 && head.length > 188 && head[188] === 0x47) || // MPEG transport stream
    bytes(0, 0x30, 0x26, 0xb2, 0x75) || // ASF, WMV
    at(0, 'GIF8') ||
    bytes(0, 0x89, 0x50, 0x4e, 0x47) // PNG (ffmpeg reads images too)
  );
}
