//! WAV files with more than 18 channels (issue 17). Such files use WAVE_FORMAT_EXTENSIBLE, whose
//! speaker mask names only 18 positions; symphonia refuses them ("too many channels in mask"),
//! though their samples are plain interleaved PCM or float. Every channel is averaged to mono
//! anyway, so positions do not matter: the reader is shown the same `fmt ` chunk with the
//! plain format tag (1 PCM, 3 float), which symphonia reads by channel count.

use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

/// Channels a WAVE_FORMAT_EXTENSIBLE speaker mask can name.
const MASKABLE_CHANNELS: u16 = 18;
/// Channels symphonia's WAV reader takes by count (it gives each a position).
pub const MAX_WAV_CHANNELS: u16 = 26;
const EXTENSIBLE: u16 = 0xFFFE;

/// Where to write which format tag, if `head` (the file's first bytes) is a WAV that needs it.
pub fn format_tag_patch(head: &[u8]) -> Option<(usize, [u8; 2])> {
    let (at, fmt) = fmt_chunk(head)?;
    extensible_tag(fmt).map(|tag| (at, tag.to_le_bytes()))
}

/// The channel count a WAV's `fmt ` chunk declares, if `head` starts a WAV.
pub fn wav_channels(head: &[u8]) -> Option<u16> {
    let (_, fmt) = fmt_chunk(head)?;
    fmt.get(2..4).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// The offset and first bytes (up to 40) of the `fmt ` chunk's payload.
fn fmt_chunk(head: &[u8]) -> Option<(usize, &[u8])> {
    if head.get(..4)? != b"RIFF" || head.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12usize;
    while at.checked_add(8)? <= head.len() {
        let size = u32::from_le_bytes(head[at + 4..at + 8].try_into().ok()?) as usize;
        if &head[at..at + 4] == b"fmt " {
            return Some((at + 8, head.get(at + 8..at + 8 + size.min(40))?));
        }
        at = at
            .checked_add(8)?
            .checked_add(size)?
            .checked_add(size & 1)?;
    }
    None
}

/// The plain tag for an extensible `fmt ` payload with too many channels for its mask.
fn extensible_tag(fmt: &[u8]) -> Option<u16> {
    let u16_at = |i: usize| fmt.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    if fmt.len() < 40 || u16_at(0)? != EXTENSIBLE || u16_at(2)? <= MASKABLE_CHANNELS {
        return None;
    }
    // The sub-format GUID starts with the plain tag: 1 PCM, 3 IEEE float (the rest is fixed).
    match u16_at(24)? {
        tag @ (1 | 3) => Some(tag),
        _ => None,
    }
}

/// Patches `bytes` in place (audio held in memory).
pub fn patch_in_place(bytes: &mut [u8]) {
    if let Some((at, tag)) = format_tag_patch(bytes) {
        bytes[at..at + 2].copy_from_slice(&tag);
    }
}

/// A seekable source whose bytes at `at` read as `tag`.
pub struct Patched<S> {
    inner: S,
    at: u64,
    tag: [u8; 2],
    pos: u64,
}

impl<S: Read + Seek> Patched<S> {
    /// Wraps `source` (positioned at its start) when it is a WAV that needs the patch; also
    /// gives the first bytes, for other checks.
    pub fn wrap(mut source: S) -> io::Result<(Result<Self, S>, Vec<u8>)> {
        let mut head = Vec::with_capacity(4096);
        Read::by_ref(&mut source)
            .take(4096)
            .read_to_end(&mut head)?;
        source.seek(SeekFrom::Start(0))?;
        let wrapped = match format_tag_patch(&head) {
            Some((at, tag)) => Ok(Patched {
                inner: source,
                at: at as u64,
                tag,
                pos: 0,
            }),
            None => Err(source),
        };
        Ok((wrapped, head))
    }
}

impl<S: Read> Read for Patched<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, byte) in self.tag.iter().enumerate() {
            let offset = self.at + i as u64;
            if offset >= self.pos && offset < self.pos + n as u64 {
                buf[(offset - self.pos) as usize] = *byte;
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: Seek> Seek for Patched<S> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

impl<S: MediaSource> MediaSource for Patched<S> {
    fn is_seekable(&self) -> bool {
        self.inner.is_seekable()
    }

    fn byte_len(&self) -> Option<u64> {
        self.inner.byte_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAVE_FORMAT_EXTENSIBLE header as the spec lays it out (not from our own writer).
    fn extensible(channels: u16, sub_format: u16) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&EXTENSIBLE.to_le_bytes());
        fmt.extend_from_slice(&channels.to_le_bytes());
        fmt.extend_from_slice(&16_000u32.to_le_bytes());
        fmt.extend_from_slice(&(16_000u32 * 2 * u32::from(channels)).to_le_bytes());
        fmt.extend_from_slice(&(2 * channels).to_le_bytes());
        fmt.extend_from_slice(&16u16.to_le_bytes());
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&16u16.to_le_bytes());
        fmt.extend_from_slice(&0u32.to_le_bytes()); // no speaker positions
        fmt.extend_from_slice(&sub_format.to_le_bytes());
        fmt.extend_from_slice(&[0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]);
        let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
        wav.extend_from_slice(b"LIST\x04\0\0\0INFO");
        wav.extend_from_slice(b"fmt ");
        wav.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        wav.extend_from_slice(&fmt);
        wav
    }

    #[test]
    fn only_extensible_wavs_beyond_the_mask_are_patched() {
        assert_eq!(format_tag_patch(&extensible(20, 1)), Some((32, [1, 0])));
        assert_eq!(format_tag_patch(&extensible(64, 3)), Some((32, [3, 0])));
        assert_eq!(format_tag_patch(&extensible(18, 1)), None);
        assert_eq!(
            format_tag_patch(&extensible(20, 2)),
            None,
            "ADPCM stays refused"
        );
        assert_eq!(format_tag_patch(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(format_tag_patch(b"OggS"), None);
        let mut truncated = extensible(20, 1);
        truncated.truncate(40);
        assert_eq!(format_tag_patch(&truncated), None);
    }

    #[test]
    fn the_patch_shows_through_reads_of_any_size_and_seeks() {
        let wav = extensible(20, 1);
        let Ok(mut patched) = Patched::wrap(io::Cursor::new(wav.clone())).unwrap().0 else {
            panic!("a 20-channel extensible WAV needs the patch");
        };
        assert_eq!(wav_channels(&wav), Some(20));
        let mut read = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = patched.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buf[..n]);
        }
        let mut expected = wav.clone();
        expected[32..34].copy_from_slice(&[1, 0]);
        assert_eq!(read, expected);
        patched.seek(SeekFrom::Start(33)).unwrap();
        let mut one = [9u8; 1];
        patched.read_exact(&mut one).unwrap();
        assert_eq!(one, [0]);
    }
}
