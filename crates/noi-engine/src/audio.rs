//! Audio files in, 16 kHz mono `f32` out, decoded as a stream so memory stays flat.
//!
//! [`AudioReader`] probes the container with symphonia, decodes one packet at a time, mixes the
//! channels to their arithmetic mean and resamples to [`TARGET_RATE`] with
//! [`crate::resample::Resampler`]. Integer PCM is scaled by symphonia as `s / 2^(bits-1)`, so a
//! 16 kHz 16-bit mono WAV comes out as exactly `i16 as f32 / 32768.0` (the parity tests against
//! sherpa-onnx rely on it); float PCM passes through unchanged. Decoders come from
//! [`crate::codecs`] (symphonia's, plus libopus for Opus), whose start-up trim (Opus pre-skip)
//! goes through the same frame counter as MP4 priming.

use std::any::Any;
use std::fs::File;
use std::io::{self, Cursor};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::CODEC_ID_NULL_AUDIO;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;

use crate::codecs;
use crate::model_input::SAMPLE_RATE;
use crate::resample::{ResampleError, Resampler};
use crate::wav_patch;

/// How much of a pipe is looked at before decoding starts (see `AudioReader::from_stream`).
const STREAM_PEEK: usize = 64 * 1024;

/// The rate every chunk comes out at, in Hz: what the models were trained on.
pub const TARGET_RATE: u32 = SAMPLE_RATE as u32;

/// What [`AudioError::Unsupported`] lists as readable.
pub const SUPPORTED_FORMATS: &str = "WAV (8/16/24/32-bit PCM, 32-bit float), FLAC, MP3, \
                                     OGG/Vorbis, Opus (Ogg or WebM, mono or stereo) and M4A/AAC";

/// Decode errors on single packets are skipped (a glitch in an MP3 should not lose the file),
/// but a stream that yields this many in a row without any audio is not audio.
const MAX_BAD_PACKETS_BEFORE_AUDIO: usize = 64;

/// Decoding less than this fraction of the declared length means the file was cut short. Not
/// 1.0: lengths estimated from a compressed file's size can be a little long.
const SHORTFALL_WARNING: f64 = 0.98;

/// What the file declares about itself, before any conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioInfo {
    /// The file's own sample rate, in Hz.
    pub sample_rate: u32,
    /// The file's channel count (they are averaged to mono).
    pub channels: usize,
    /// Length in seconds, when the container states it.
    pub duration_secs: Option<f64>,
}

/// Why audio could not be read. Each message names the input, the problem and the fix, and
/// includes the underlying reason itself (so that no error chain repeats it).
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or read from.
    #[error(
        "cannot read {}: {reason}; check that the path is right and the file is readable",
        path.display()
    )]
    Open {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        reason: io::Error,
    },
    /// Zero bytes, or a valid header with no samples after it.
    #[error(
        "{input} is empty ({detail}): there is no audio to transcribe; record or export it again"
    )]
    Empty {
        /// The file path, or "audio data" for bytes.
        input: String,
        /// What exactly is empty.
        detail: String,
    },
    /// Not a container or codec we decode.
    #[error(
        "{input} is not an audio file we can read ({detail}): supported formats are \
         {SUPPORTED_FORMATS}; convert it first, e.g. `ffmpeg -i INPUT -ac 1 -ar 16000 out.wav`"
    )]
    Unsupported {
        /// The file path, or "audio data" for bytes.
        input: String,
        /// What symphonia reported.
        detail: String,
    },
    /// Recognised as audio, but nothing in it decodes.
    #[error(
        "{input} is truncated or corrupt: no audio could be decoded from it ({detail}); \
         download, copy or export the file again"
    )]
    Corrupt {
        /// The file path, or "audio data" for bytes.
        input: String,
        /// What went wrong first.
        detail: String,
    },
    /// The stream declares no channels.
    #[error(
        "{input} declares zero audio channels, so it holds no audio; \
         export it again as mono or stereo"
    )]
    NoChannels {
        /// The file path, or "audio data" for bytes.
        input: String,
    },
    /// The stream declares a sample rate of 0 Hz.
    #[error(
        "{input} declares a sample rate of 0 Hz, which is invalid; the header is corrupt: \
         export the file again"
    )]
    NoSampleRate {
        /// The file path, or "audio data" for bytes.
        input: String,
    },
    /// A rate we cannot convert from.
    #[error("{input}: {reason}")]
    Rate {
        /// The file path, or "audio data" for bytes.
        input: String,
        /// The resampler's reason.
        reason: ResampleError,
    },
    /// The storage failed mid-file (not a short file: that is decoded up to where it ends).
    #[error(
        "reading {input} failed after {decoded_secs:.2} s of audio: {reason}; \
         check the disk or copy the file again"
    )]
    Read {
        /// The file path, or "audio data" for bytes.
        input: String,
        /// Audio decoded before the failure, in seconds.
        decoded_secs: f64,
        /// What the OS said.
        reason: io::Error,
    },
}
/// Streams an audio file as consecutive chunks of 16 kHz mono `f32`.
pub struct AudioReader {
    input: String,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    info: AudioInfo,
    resampler: Resampler,
    /// The first decoded packet, mixed to mono: decoded by `open` to check the file.
    primed: Option<Vec<f32>>,
    /// 16 kHz output to emit before anything else: the tail of a resampler retired by a
    /// mid-stream rate change.
    carry: Vec<f32>,
    /// Per-channel scratch for one packet.
    planes: Vec<Vec<f32>>,
    /// Source-rate frames decoded so far (after any trimming).
    frames_decoded: u64,
    /// Packets skipped because they did not decode.
    bad_packets: u64,
    /// The MP4 edit list's playable stretch, if the file has one.
    edit: Option<mp4_edit::Edit>,
    /// Decoded frames still to drop at the start (encoder priming, Opus pre-skip).
    skip_frames: u64,
    /// Frames still to pass before the end of the playable stretch (encoder padding after).
    keep_frames: Option<u64>,
    /// Rate of the audio currently decoded (a chained OGG stream may change it).
    current_rate: u32,
    finished: bool,
    /// Problems worked around so far (see [`AudioReader::warnings`]).
    warnings: Vec<String>,
}

impl std::fmt::Debug for AudioReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioReader")
            .field("input", &self.input)
            .field("info", &self.info)
            .field("frames_decoded", &self.frames_decoded)
            .finish_non_exhaustive()
    }
}

/// A decoded packet, or the end of the stream.
enum Step {
    /// Mono samples at `current_rate`.
    Audio(Vec<f32>),
    /// The stream is over (cleanly, or cut short after some audio: already warned).
    End,
}

/// One decoded packet, mixed down.
struct Decoded {
    mono: Vec<f32>,
    rate: u32,
    channels: usize,
}

impl AudioReader {
    /// Opens an audio file; the format is detected from its content, helped by the extension.
    /// `-` is standard input. Named pipes, process substitution (`<(…)`), `/dev/stdin` and
    /// other devices are read as streams, front to back (so MP4/M4A, which keeps its index at
    /// the end, needs a real file).
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let open_err = |reason| AudioError::Open {
            path: path.to_owned(),
            reason,
        };
        let (opened, input) = if path == Path::new("-") {
            (Path::new("/dev/stdin"), "standard input".to_owned())
        } else {
            (path, path.display().to_string())
        };
        let file = File::open(opened).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(open_err(io::Error::other("it is a directory")));
        }
        let ext = path.extension().and_then(|e| e.to_str());
        if !meta.is_file() {
            return Self::from_stream(file, input, ext);
        }
        if meta.len() == 0 {
            return Err(empty(input, "0 bytes"));
        }
        let (wrapped, head) =
            wav_patch::Patched::wrap(file).map_err(|reason| AudioError::Read {
                input: input.clone(),
                decoded_secs: 0.0,
                reason,
            })?;
        check_wav_channels(&input, &head)?;
        let source: Box<dyn MediaSource> = match wrapped {
            Ok(patched) => Box::new(patched),
            Err(file) => Box::new(file),
        };
        Self::from_source(source, input, ext)
    }

    /// Reads audio held in memory; `extension_hint` ("wav", ".mp3", ...) helps detection.
    pub fn from_bytes(
        mut bytes: Vec<u8>,
        extension_hint: Option<&str>,
    ) -> Result<Self, AudioError> {
        let input = "audio data".to_owned();
        check_wav_channels(&input, &bytes)?;
        wav_patch::patch_in_place(&mut bytes);
        if bytes.is_empty() {
            return Err(empty(input, "0 bytes"));
        }
        let ext = extension_hint.map(|e| e.trim_start_matches('.'));
        Self::from_source(Box::new(Cursor::new(bytes)), input, ext)
    }

    /// What the file declares: its own rate, channel count and length.
    pub fn info(&self) -> &AudioInfo {
        &self.info
    }

    /// The next chunk of 16 kHz mono samples (never empty), or `None` once the stream is over.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        let mut out = Vec::new();
        while out.is_empty() && !self.finished {
            let step = match self.primed.take() {
                Some(mono) => Step::Audio(mono),
                None => self.decode_next()?,
            };
            out.append(&mut self.carry);
            match step {
                Step::Audio(mono) => self.resampler.process(&mono, &mut out),
                Step::End => {
                    self.finished = true;
                    self.resampler.flush(&mut out);
                    self.report_damage();
                }
            }
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn from_source(
        mut source: Box<dyn MediaSource>,
        input: String,
        ext: Option<&str>,
    ) -> Result<Self, AudioError> {
        let edit = mp4_edit::read(source.as_mut());
        Self::from_probe(source, input, ext, edit)
    }

    /// A pipe or device, read once from front to back. Its start is looked at first, so an
    /// empty stream or an MP4 (which cannot be read without seeking) gets a clear error.
    fn from_stream(mut stream: File, input: String, ext: Option<&str>) -> Result<Self, AudioError> {
        let mut head = Vec::with_capacity(STREAM_PEEK);
        let read = io::Read::read_to_end(
            &mut io::Read::take(io::Read::by_ref(&mut stream), STREAM_PEEK as u64),
            &mut head,
        );
        if let Err(reason) = read {
            return Err(AudioError::Read {
                input,
                decoded_secs: 0.0,
                reason,
            });
        }
        if head.is_empty() {
            return Err(empty(input, "the stream ended before any byte"));
        }
        check_wav_channels(&input, &head)?;
        wav_patch::patch_in_place(&mut head);
        if head.get(4..8) == Some(b"ftyp") {
            return Err(unsupported(
                &input,
                "MP4/M4A cannot be read from a pipe (its index is usually at the end): save it \
                 to a file first",
            ));
        }
        let source = ReadOnlySource::new(io::Read::chain(Cursor::new(head), stream));
        Self::from_probe(Box::new(source), input, ext, None)
    }

    fn from_probe(
        source: Box<dyn MediaSource>,
        input: String,
        ext: Option<&str>,
        edit: Option<mp4_edit::Edit>,
    ) -> Result<Self, AudioError> {
        let format = probe(source, ext).map_err(|e| classify_probe_error(&input, e))?;
        let track = audio_track(format.as_ref()).ok_or_else(|| AudioError::Unsupported {
            input: input.clone(),
            detail: "no audio track in it".into(),
        })?;
        let (track_id, duration_secs) = (track.id, track_duration_secs(track));
        let params = track_params(track).cloned();
        let params = params.ok_or_else(|| unsupported(&input, "unknown codec"))?;
        check_declared(&input, &params)?;
        let (decoder, pre_skip) = make_decoder(&input, &params)?;
        // An Ogg/Opus length counts the pre-skip (granule positions do): report what plays.
        // The pre-skip is in 48 kHz frames whatever rate the track declares (RFC 7845).
        let duration_secs = duration_secs
            .map(|secs| (secs - pre_skip as f64 / f64::from(codecs::OPUS_RATE)).max(0.0));
        let mut reader = Self {
            input,
            format,
            decoder,
            track_id,
            info: AudioInfo {
                sample_rate: params.sample_rate.unwrap_or(0),
                channels: params.channels.as_ref().map_or(0, |c| c.count()),
                duration_secs,
            },
            // Replaced in `prime`, once the real rate is known.
            resampler: Resampler::new(TARGET_RATE, TARGET_RATE).expect("equal rates"),
            primed: None,
            carry: Vec::new(),
            planes: Vec::new(),
            frames_decoded: 0,
            bad_packets: 0,
            edit,
            skip_frames: pre_skip,
            keep_frames: None,
            current_rate: 0,
            finished: false,
            warnings: Vec::new(),
        };
        reader.prime()?;
        Ok(reader)
    }

    /// Decodes up to the first audio, so a file that opens is known to hold some, and the
    /// rate and channel count come from real decoded audio rather than the header alone.
    fn prime(&mut self) -> Result<(), AudioError> {
        let mono = match self.decode_next()? {
            Step::Audio(mono) => mono,
            Step::End => return Err(self.nothing_decoded("the stream ends before any audio")),
        };
        self.info.sample_rate = self.current_rate;
        self.resampler = self.make_resampler(self.current_rate)?;
        self.primed = Some(mono);
        Ok(())
    }

    fn make_resampler(&self, rate: u32) -> Result<Resampler, AudioError> {
        Resampler::new(rate, TARGET_RATE).map_err(|reason| AudioError::Rate {
            input: self.input.clone(),
            reason,
        })
    }

    /// The error for a stream in which nothing decoded: empty if it says it is, corrupt if not.
    fn nothing_decoded(&self, detail: &str) -> AudioError {
        if self.info.duration_secs == Some(0.0) {
            return empty(self.input.clone(), "the header says 0 samples");
        }
        AudioError::Corrupt {
            input: self.input.clone(),
            detail: detail.to_owned(),
        }
    }

    /// Reads packets until one decodes to audio, skipping bad packets and foreign tracks.
    fn decode_next(&mut self) -> Result<Step, AudioError> {
        let mut bad_in_a_row = 0;
        loop {
            let packet = match guard(|| self.format.next_packet()) {
                Ok(Some(packet)) => packet,
                Ok(None) => return Ok(Step::End),
                Err(SymError::ResetRequired) => {
                    self.rebuild_decoder()?;
                    continue;
                }
                Err(err) => return self.stream_error(err),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let (decoder, planes) = (&mut self.decoder, &mut self.planes);
            match guard(|| decoder.decode(&packet).map(|buf| mix_to_mono(&buf, planes))) {
                Ok(Some(decoded)) => {
                    if let Some(mono) = self.accept(decoded)? {
                        return Ok(Step::Audio(mono));
                    }
                }
                Ok(None) => continue,
                Err(SymError::ResetRequired) => self.rebuild_decoder()?,
                Err(err @ (SymError::DecodeError(_) | SymError::IoError(_))) => {
                    bad_in_a_row += 1;
                    self.skip_bad_packet(&err, bad_in_a_row)?;
                }
                Err(err) => return self.stream_error(err),
            }
        }
    }

    /// Takes a decoded packet; `None` if trimming left nothing of it. The first packet fixes
    /// the channel count reported by [`info`](Self::info); a later change of rate (chained
    /// OGG) switches resamplers.
    fn accept(&mut self, decoded: Decoded) -> Result<Option<Vec<f32>>, AudioError> {
        if decoded.rate == 0 {
            return Err(AudioError::NoSampleRate {
                input: self.input.clone(),
            });
        }
        if self.current_rate == 0 {
            self.first_packet(&decoded);
        } else if decoded.rate != self.current_rate {
            self.switch_rate(decoded.rate)?;
        }
        self.current_rate = decoded.rate;
        let mono = self.trim(decoded.mono);
        self.frames_decoded += mono.len() as u64;
        Ok((!mono.is_empty()).then_some(mono))
    }

    /// Takes the channel count from real audio, and turns an MP4 edit into frame counts.
    fn first_packet(&mut self, decoded: &Decoded) {
        self.info.channels = decoded.channels;
        if let Some(edit) = self.edit {
            let (skip, keep) = edit.frames(decoded.rate);
            self.skip_frames = skip;
            self.keep_frames = keep;
            if let Some(keep) = keep {
                self.info.duration_secs = Some(keep as f64 / f64::from(decoded.rate));
            }
        }
    }

    /// Drops encoder priming and padding outside the MP4 edit (no-op for other formats).
    fn trim(&mut self, mut mono: Vec<f32>) -> Vec<f32> {
        let skip = self.skip_frames.min(mono.len() as u64);
        self.skip_frames -= skip;
        mono.drain(..skip as usize);
        if let Some(keep) = &mut self.keep_frames {
            mono.truncate((*keep).min(mono.len() as u64) as usize);
            *keep -= mono.len() as u64;
        }
        mono
    }

    /// Ends the current resampler's stream into `carry` and starts one for the new rate.
    fn switch_rate(&mut self, rate: u32) -> Result<(), AudioError> {
        tracing::warn!(
            "{}: the sample rate changes from {} to {rate} Hz mid-stream; resampling each part",
            self.input,
            self.current_rate,
        );
        let next = self.make_resampler(rate)?;
        std::mem::replace(&mut self.resampler, next).flush(&mut self.carry);
        Ok(())
    }

    /// Skips a packet that does not decode, warning once per stream (a damaged file can have
    /// thousands); gives up if nothing has decoded after many in a row.
    fn skip_bad_packet(&mut self, err: &SymError, in_a_row: usize) -> Result<(), AudioError> {
        if self.frames_decoded == 0 && in_a_row >= MAX_BAD_PACKETS_BEFORE_AUDIO {
            return Err(self.nothing_decoded(&err.to_string()));
        }
        self.bad_packets += 1;
        if self.bad_packets == 1 {
            tracing::warn!(
                "{}: skipping a packet that does not decode ({err}) at {:.2} s",
                self.input,
                self.decoded_secs()
            );
        }
        Ok(())
    }

    /// At the end: warns of skipped packets, and of a file shorter than its header says (a
    /// truncated WAV just ends, with no error from symphonia).
    fn report_damage(&mut self) {
        if self.bad_packets > 1 {
            self.warn(format!(
                "skipped {} packets that did not decode; the file is damaged",
                self.bad_packets
            ));
        }
        let (decoded, declared) = (self.decoded_secs(), self.info.duration_secs.unwrap_or(0.0));
        if decoded < declared * SHORTFALL_WARNING {
            self.warn(format!(
                "the file ends after {decoded:.2} s but its header says {declared:.2} s; it was \
                 probably cut short (using the audio up to there)"
            ));
        }
    }

    /// Logs a problem the reader worked around, and keeps it for [`Self::warnings`].
    fn warn(&mut self, message: String) {
        tracing::warn!("{}: {message}", self.input);
        self.warnings.push(message);
    }

    /// What was wrong with the input but worked around (damaged packets, a file cut short):
    /// the transcript covers only part of it. Complete once the reader has ended.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A container error mid-stream. After some audio, keep it and end the stream with a
    /// warning: a cut-off recording should still be transcribed up to the cut.
    fn stream_error(&mut self, err: SymError) -> Result<Step, AudioError> {
        let err = match err {
            SymError::IoError(reason) if reason.kind() != io::ErrorKind::UnexpectedEof => {
                return Err(AudioError::Read {
                    input: self.input.clone(),
                    decoded_secs: self.decoded_secs(),
                    reason,
                });
            }
            other => other,
        };
        if self.frames_decoded == 0 {
            return Err(self.nothing_decoded(&err.to_string()));
        }
        if ends_by_running_out(self.format.format_info().short_name, &err) {
            tracing::debug!(
                "{}: the stream ends where the data does ({err})",
                self.input
            );
            return Ok(Step::End);
        }
        self.warn(format!(
            "the file ends early or is damaged after {:.2} s of audio ({err}); using the audio \
             decoded up to there",
            self.decoded_secs()
        ));
        Ok(Step::End)
    }

    /// Chained OGG streams change track: decode the new default audio track from here on.
    fn rebuild_decoder(&mut self) -> Result<(), AudioError> {
        let track = audio_track(self.format.as_ref())
            .ok_or_else(|| unsupported(&self.input, "a chained stream has no audio track"))?;
        self.track_id = track.id;
        let params = track_params(track).cloned();
        let params = params.ok_or_else(|| unsupported(&self.input, "unknown codec"))?;
        let (decoder, pre_skip) = make_decoder(&self.input, &params)?;
        self.decoder = decoder;
        self.skip_frames += pre_skip;
        Ok(())
    }

    fn decoded_secs(&self) -> f64 {
        self.frames_decoded as f64 / f64::from(self.current_rate.max(1))
    }
}

/// Whether `err` is how a stream of this container normally ends. A WebM written live, as
/// browsers' MediaRecorder writes it, declares no sizes, so symphonia's Matroska reader only
/// learns it is over by reading past the end; a live recording cut mid-way cannot be told
/// apart (it loses at most the one block the cut went through). A cut WebM with sized
/// elements never gets this far: symphonia refuses it when probing.
fn ends_by_running_out(container: &str, err: &SymError) -> bool {
    container == MATROSKA
        && matches!(err, SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof)
}

/// symphonia's short name for its Matroska/WebM reader.
const MATROSKA: &str = "matroska";

/// Decodes a whole file to 16 kHz mono. Prefer [`AudioReader`] for long files.
pub fn read_all(path: &Path) -> Result<(Vec<f32>, AudioInfo), AudioError> {
    drain(AudioReader::open(path)?)
}

/// Decodes audio held in memory to 16 kHz mono; see [`AudioReader::from_bytes`].
pub fn read_all_bytes(
    bytes: Vec<u8>,
    extension_hint: Option<&str>,
) -> Result<(Vec<f32>, AudioInfo), AudioError> {
    drain(AudioReader::from_bytes(bytes, extension_hint)?)
}

fn drain(mut reader: AudioReader) -> Result<(Vec<f32>, AudioInfo), AudioError> {
    let mut samples = Vec::new();
    while let Some(chunk) = reader.next_chunk()? {
        samples.extend_from_slice(&chunk);
    }
    Ok((samples, reader.info.clone()))
}

fn probe(
    source: Box<dyn MediaSource>,
    ext: Option<&str>,
) -> Result<Box<dyn FormatReader>, SymError> {
    let mut hint = Hint::new();
    if let Some(ext) = ext {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(source, Default::default());
    let (fmt_opts, meta_opts) = (FormatOptions::default(), MetadataOptions::default());
    guard(|| symphonia::default::get_probe().probe(&hint, stream, fmt_opts, meta_opts))
}

/// Content that matches no format is unsupported; running out of data or malformed fields
/// mean a format was recognised, so the file is damaged.
fn classify_probe_error(input: &str, err: SymError) -> AudioError {
    let corrupt = |detail: &str| AudioError::Corrupt {
        input: input.to_owned(),
        detail: detail.to_owned(),
    };
    match err {
        SymError::DecodeError(msg) => corrupt(msg),
        SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            corrupt("it ends inside its header")
        }
        SymError::IoError(reason) => AudioError::Read {
            input: input.to_owned(),
            decoded_secs: 0.0,
            reason,
        },
        SymError::Unsupported(_) => unsupported(input, "its content matches none of them"),
        other => unsupported(input, &other.to_string()),
    }
}

/// The container's default audio track with a codec we know, if any.
fn audio_track(format: &dyn FormatReader) -> Option<&Track> {
    format
        .tracks()
        .iter()
        .find(|t| track_params(t).is_some_and(|p| p.codec != CODEC_ID_NULL_AUDIO))
}

fn track_params(track: &Track) -> Option<&AudioCodecParameters> {
    track.codec_params.as_ref()?.audio()
}

/// Length from the frame count when known (exact), else from the container's duration.
fn track_duration_secs(track: &Track) -> Option<f64> {
    let rate = track_params(track)?.sample_rate.filter(|&r| r > 0);
    if let (Some(frames), Some(rate)) = (track.num_frames, rate) {
        return Some(frames as f64 / f64::from(rate));
    }
    let time = track.time_base?.calc_duration(track.duration?)?;
    Some(time.as_secs_f64())
}

/// Rejects headers that declare no channels or a 0 Hz rate, before decoding garbage.
fn check_declared(input: &str, params: &AudioCodecParameters) -> Result<(), AudioError> {
    if params.sample_rate == Some(0) {
        return Err(AudioError::NoSampleRate {
            input: input.to_owned(),
        });
    }
    if params.channels.as_ref().is_some_and(|c| c.count() == 0) {
        return Err(AudioError::NoChannels {
            input: input.to_owned(),
        });
    }
    Ok(())
}

/// The track's decoder, and how many decoded frames to drop before its audio starts.
fn make_decoder(
    input: &str,
    params: &AudioCodecParameters,
) -> Result<(Box<dyn AudioDecoder>, u64), AudioError> {
    let prepared = codecs::prepare(params);
    let opts = AudioDecoderOptions::default();
    let decoder = guard(|| codecs::registry().make_audio_decoder(&prepared.params, &opts))
        .map_err(|e| match e {
            SymError::Unsupported(what) => unsupported(input, &format!("codec: {what}")),
            other => AudioError::Corrupt {
                input: input.to_owned(),
                detail: other.to_string(),
            },
        })?;
    Ok((decoder, prepared.pre_skip))
}

/// Averages a decoded buffer's channels; `None` for a buffer with no frames.
fn mix_to_mono(
    buf: &symphonia::core::audio::GenericAudioBufferRef<'_>,
    planes: &mut Vec<Vec<f32>>,
) -> Option<Decoded> {
    let channels = buf.spec().channels().count();
    if buf.frames() == 0 || channels == 0 {
        return None;
    }
    buf.copy_to_vecs_planar(planes);
    Some(Decoded {
        mono: average(&planes[..channels]),
        rate: buf.spec().rate(),
        channels,
    })
}

/// Arithmetic mean per frame. One channel is copied as is, so mono input stays bit-exact.
fn average(planes: &[Vec<f32>]) -> Vec<f32> {
    let mut mono = planes[0].clone();
    if planes.len() > 1 {
        for plane in &planes[1..] {
            mono.iter_mut().zip(plane).for_each(|(m, s)| *m += s);
        }
        let n = planes.len() as f32;
        mono.iter_mut().for_each(|m| *m /= n);
    }
    mono
}

/// Runs a symphonia call, turning a panic inside it into a decode error: malformed input must
/// give a typed error, never take the process down.
fn guard<T>(f: impl FnOnce() -> Result<T, SymError>) -> Result<T, SymError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        tracing::warn!(
            "symphonia panicked on malformed input: {}",
            panic_text(&panic)
        );
        Err(SymError::DecodeError(
            "the decoder failed on malformed data",
        ))
    })
}

fn panic_text(panic: &Box<dyn Any + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

fn empty(input: String, detail: &str) -> AudioError {
    AudioError::Empty {
        input,
        detail: detail.to_owned(),
    }
}

/// A WAV with more channels than the reader takes gets a clear refusal (symphonia's own error
/// would call the file corrupt).
fn check_wav_channels(input: &str, head: &[u8]) -> Result<(), AudioError> {
    match wav_patch::wav_channels(head) {
        Some(n) if n > wav_patch::MAX_WAV_CHANNELS => Err(unsupported(
            input,
            &format!(
                "a WAV with {n} channels: up to {} are read; mix it down first, e.g. `ffmpeg \
                 -i INPUT -ac 1 out.wav`",
                wav_patch::MAX_WAV_CHANNELS
            ),
        )),
        _ => Ok(()),
    }
}

fn unsupported(input: &str, detail: &str) -> AudioError {
    AudioError::Unsupported {
        input: input.to_owned(),
        detail: detail.to_owned(),
    }
}

/// The first edit of an MP4 audio track: which stretch of the decoded media is the real audio.
///
/// AAC encoders prepend priming samples (1024 for ffmpeg, 2112 for Apple's) and pad the last
/// frame; MP4 records the playable stretch in the track's edit list. symphonia 0.6 parses the
/// list but does not apply it, so without this every M4A would start ~23 ms late and end with
/// padding.
mod mp4_edit {
    use std::io::{Read, Seek, SeekFrom};

    /// Largest `moov` box we read into memory (its sample tables grow ~1 MB per hour).
    const MAX_MOOV: u64 = 64 << 20;

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Edit {
        /// Decoded frames to drop at the start, in media timescale units.
        media_time: u64,
        media_timescale: u32,
        /// Playable length, in movie timescale units (0: until the end).
        duration: u64,
        movie_timescale: u32,
    }

    impl Edit {
        /// (frames to skip, frames to keep) at the decoded sample rate.
        pub fn frames(&self, rate: u32) -> (u64, Option<u64>) {
            let scale = |v: u64, from: u32| {
                ((u128::from(v) * u128::from(rate) + u128::from(from / 2)) / u128::from(from))
                    as u64
            };
            let keep = (self.duration > 0).then(|| scale(self.duration, self.movie_timescale));
            (scale(self.media_time, self.media_timescale), keep)
        }
    }

    /// The edit of the first sound track, if `source` is an MP4 with one. Leaves `source` at
    /// its start. Any parse failure gives `None`: symphonia then reports on the file itself.
    pub fn read<R: Read + Seek + ?Sized>(source: &mut R) -> Option<Edit> {
        let edit = find_moov(source).and_then(|moov| parse_moov(&moov));
        source.seek(SeekFrom::Start(0)).ok()?;
        edit
    }

    /// Walks the top-level boxes, seeking over `mdat`, and returns the `moov` payload.
    fn find_moov<R: Read + Seek + ?Sized>(source: &mut R) -> Option<Vec<u8>> {
        let mut pos = 0u64;
        loop {
            source.seek(SeekFrom::Start(pos)).ok()?;
            let mut head = [0u8; 16];
            source.read_exact(&mut head[..8]).ok()?;
            let kind: [u8; 4] = head[4..8].try_into().ok()?;
            if pos == 0 && &kind != b"ftyp" {
                return None;
            }
            let (size, header) = match u32::from_be_bytes(head[..4].try_into().ok()?) {
                1 => {
                    source.read_exact(&mut head[8..16]).ok()?;
                    (u64::from_be_bytes(head[8..16].try_into().ok()?), 16)
                }
                0 => return None, // runs to the end of the file: nothing after it
                size => (u64::from(size), 8),
            };
            if size < header {
                return None;
            }
            if &kind == b"moov" {
                let len = size - header;
                if len > MAX_MOOV {
                    return None;
                }
                let mut moov = vec![0; len as usize];
                source.read_exact(&mut moov).ok()?;
                return Some(moov);
            }
            pos = pos.checked_add(size)?;
        }
    }

    /// Child boxes of a container payload, as (type, payload).
    fn boxes(mut data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
        std::iter::from_fn(move || {
            let size = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
            if size < 8 || size > data.len() {
                return None;
            }
            let (this, rest) = data.split_at(size);
            data = rest;
            Some((&this[4..8], &this[8..]))
        })
    }

    fn child<'a>(data: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
        boxes(data).find(|(k, _)| *k == kind).map(|(_, v)| v)
    }

    fn be_u32(data: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
    }

    fn be_u64(data: &[u8], at: usize) -> Option<u64> {
        Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
    }

    /// Timescale of an `mvhd` or `mdhd` payload: after version/flags and two dates.
    fn timescale(header: &[u8]) -> Option<u32> {
        let at = if *header.first()? == 1 { 20 } else { 12 };
        be_u32(header, at).filter(|&t| t > 0)
    }

    fn parse_moov(moov: &[u8]) -> Option<Edit> {
        let movie_timescale = timescale(child(moov, b"mvhd")?)?;
        let trak = boxes(moov)
            .filter(|(k, _)| *k == b"trak")
            .map(|(_, v)| v)
            .find(|trak| is_sound(trak))?;
        let media_timescale = timescale(child(child(trak, b"mdia")?, b"mdhd")?)?;
        let (media_time, duration) = first_edit(child(child(trak, b"edts")?, b"elst")?)?;
        Some(Edit {
            media_time,
            media_timescale,
            duration,
            movie_timescale,
        })
    }

    fn is_sound(trak: &[u8]) -> bool {
        let handler = child(trak, b"mdia").and_then(|mdia| child(mdia, b"hdlr"));
        handler.and_then(|h| h.get(8..12)) == Some(b"soun")
    }

    /// (media time, duration) of the first edit that plays media; empty edits (-1) only
    /// delay presentation and are skipped.
    fn first_edit(elst: &[u8]) -> Option<(u64, u64)> {
        let wide = *elst.first()? == 1;
        let count = be_u32(elst, 4)? as usize;
        let entry = if wide { 20 } else { 12 };
        (0..count.min(elst.len() / entry)).find_map(|i| {
            let at = 8 + i * entry;
            let (duration, media_time) = if wide {
                (be_u64(elst, at)?, be_u64(elst, at + 8)? as i64)
            } else {
                (
                    u64::from(be_u32(elst, at)?),
                    i64::from(be_u32(elst, at + 4)? as i32),
                )
            };
            u64::try_from(media_time).ok().map(|t| (t, duration))
        })
    }
}
