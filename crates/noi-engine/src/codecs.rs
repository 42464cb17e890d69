//! The audio decoders the reader uses: symphonia's own, plus libopus for Opus.
//!
//! symphonia demuxes Ogg/Opus and WebM/Opus (what browsers' MediaRecorder writes) but has no
//! Opus decoder; `symphonia-adapter-libopus` plugs the reference libopus into its registry.
//! Opus needs two things the other codecs do not (RFC 7845): it always decodes at 48 kHz
//! whatever rate the header names, and the encoder's look-ahead ("pre-skip", in the
//! `OpusHead` header that both Ogg and WebM carry) must be dropped from the start. The reader
//! drops it itself, with the same frame counter that trims MP4 priming, so a pre-skip longer
//! than the first packet (2.5 or 5 ms frames) is still trimmed in full.

use std::sync::LazyLock;

use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia_adapter_libopus::OpusDecoder;

/// The rate Opus decodes at (RFC 7845 section 5.1: the input rate in `OpusHead` is only a
/// record of what the encoder was fed).
pub const OPUS_RATE: u32 = 48_000;

/// symphonia's enabled codecs plus Opus, built on first use.
static CODECS: LazyLock<CodecRegistry> = LazyLock::new(|| {
    let mut registry = CodecRegistry::new();
    symphonia::default::register_enabled_codecs(&mut registry);
    registry.register_audio_decoder::<OpusDecoder>();
    registry
});

/// The registry every decoder is made from.
pub fn registry() -> &'static CodecRegistry {
    &CODECS
}

/// Codec parameters ready for the registry, and how many decoded frames to drop first.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub params: AudioCodecParameters,
    /// Frames at the decoded rate that are encoder look-ahead, not audio.
    pub pre_skip: u64,
}

/// Adjusts a track's parameters for its decoder. Only Opus changes: it is decoded at
/// [`OPUS_RATE`], and its pre-skip moves from the header to [`Prepared::pre_skip`] (the
/// header is withheld from the adapter, which would otherwise trim the pre-skip from the
/// first packet a second time).
pub fn prepare(params: &AudioCodecParameters) -> Prepared {
    let mut params = params.clone();
    if params.codec != CODEC_ID_OPUS {
        return Prepared {
            params,
            pre_skip: 0,
        };
    }
    let pre_skip = params.extra_data.as_deref().and_then(opus_head_pre_skip);
    params.extra_data = None;
    params.sample_rate = Some(OPUS_RATE);
    Prepared {
        params,
        pre_skip: pre_skip.map_or(0, u64::from),
    }
}

/// The pre-skip of an `OpusHead` identification header, in 48 kHz frames; `None` for anything
/// else (MP4 carries a `dOps` box instead, whose priming its edit list already covers).
///
/// Layout (RFC 7845 section 5.1): the magic "OpusHead", a version byte, the channel count,
/// then the pre-skip as a little-endian u16.
pub fn opus_head_pre_skip(header: &[u8]) -> Option<u16> {
    if header.get(..8)? != b"OpusHead" {
        return None;
    }
    Some(u16::from_le_bytes(header.get(10..12)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `OpusHead` written out field by field from RFC 7845's figure.
    fn opus_head(pre_skip: u16) -> Vec<u8> {
        let mut head = b"OpusHead".to_vec();
        head.push(1); // version
        head.push(2); // channels
        head.extend_from_slice(&pre_skip.to_le_bytes());
        head.extend_from_slice(&16_000u32.to_le_bytes()); // input rate
        head.extend_from_slice(&0u16.to_le_bytes()); // output gain
        head.push(0); // mapping family
        head
    }

    #[test]
    fn pre_skip_is_read_from_opus_head() {
        assert_eq!(opus_head_pre_skip(&opus_head(312)), Some(312));
        assert_eq!(opus_head_pre_skip(&opus_head(0x1234)), Some(0x1234));
    }

    #[test]
    fn other_headers_have_no_pre_skip() {
        assert_eq!(opus_head_pre_skip(b"OpusHea"), None);
        assert_eq!(opus_head_pre_skip(&opus_head(312)[..11]), None);
        let mut dops = opus_head(312);
        dops[..8].copy_from_slice(b"dOps\0\0\0\0");
        assert_eq!(opus_head_pre_skip(&dops), None);
    }

    #[test]
    fn opus_is_decoded_at_48k_with_its_pre_skip_moved_out() {
        let mut params = AudioCodecParameters::new();
        params
            .for_codec(CODEC_ID_OPUS)
            .with_sample_rate(16_000)
            .with_extra_data(opus_head(312).into_boxed_slice());
        let prepared = prepare(&params);
        assert_eq!(prepared.pre_skip, 312);
        assert_eq!(prepared.params.sample_rate, Some(OPUS_RATE));
        assert_eq!(prepared.params.extra_data, None);
    }

    #[test]
    fn other_codecs_pass_unchanged() {
        let mut params = AudioCodecParameters::new();
        params
            .for_codec(symphonia::core::codecs::audio::well_known::CODEC_ID_VORBIS)
            .with_sample_rate(44_100)
            .with_extra_data(opus_head(312).into_boxed_slice());
        let prepared = prepare(&params);
        assert_eq!(prepared.pre_skip, 0);
        assert_eq!(prepared.params.sample_rate, Some(44_100));
        assert_eq!(
            prepared.params.extra_data.as_deref(),
            params.extra_data.as_deref()
        );
    }

    #[test]
    fn the_registry_has_opus_and_symphonias_codecs() {
        assert!(registry().get_audio_decoder(CODEC_ID_OPUS).is_some());
        let vorbis = symphonia::core::codecs::audio::well_known::CODEC_ID_VORBIS;
        assert!(registry().get_audio_decoder(vorbis).is_some());
    }
}
