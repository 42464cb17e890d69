//! Dictation history in SQLite: `~/.local/share/noi/history.sqlite3` (`$NOI_DATA_DIR` when
//! set, as for models).
//!
//! Every final transcript is inserted **before** it is injected ([`History::insert`]), then its
//! delivery outcome is recorded ([`History::mark_delivery`]): when injection fails, the text is
//! still here and "copy last transcript" finds it.
//!
//! - The schema is versioned with SQLite's `user_version`; [`MIGRATIONS`] lists the steps, each
//!   applied once, in a transaction. A database from a newer Nói is refused, not altered.
//! - `secure_delete` is on: deleted transcripts are overwritten in the file, not merely
//!   unlinked, because people delete history for privacy.
//! - WAL journal: a crash mid-write loses at most that write, and readers (the CLI, a second
//!   window) do not block the app.
//! - Recordings are optional: WAV bytes in the row, or a file path. Deleting an entry deletes
//!   its file only when the file is in the history's own `recordings/` folder.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Row, params};
use thiserror::Error;

use crate::fsutil;

pub const HISTORY_FILE: &str = "history.sqlite3";
/// Where recording files written by the shell belong (next to the database).
pub const RECORDINGS_DIR: &str = "recordings";

/// The schema, one step per version: `MIGRATIONS[n]` takes version `n` to `n + 1`. Append
/// only; never edit a step that has shipped.
pub const MIGRATIONS: &[&str] = &["CREATE TABLE transcripts (
        id              INTEGER PRIMARY KEY,
        created_at_ms   INTEGER NOT NULL,
        text            TEXT NOT NULL,
        raw_text        TEXT NOT NULL,
        duration_ms     INTEGER NOT NULL,
        model_id        TEXT,
        recording_wav   BLOB,
        recording_path  TEXT,
        delivery        TEXT NOT NULL DEFAULT 'pending',
        delivery_error  TEXT
    );
    CREATE INDEX transcripts_by_time ON transcripts (created_at_ms);"];

#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("cannot find a data directory for history: set NOI_DATA_DIR to a writable directory")]
    NoDataDir,
    #[error(
        "cannot open history {path}: {source}; check the folder is writable, or move the file aside to start a new history"
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "history {path} has schema version {found}, newer than this Nói knows ({supported}): update Nói, or move the file aside to start a new history"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "cannot create the history folder {path}: {source}; set NOI_DATA_DIR to a writable directory"
    )]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("history database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T> = std::result::Result<T, HistoryError>;

/// A row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TranscriptId(pub i64);

/// A dictation's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recording {
    /// 16 kHz mono PCM16 WAV bytes ([`wav_pcm16`]).
    Wav(Vec<u8>),
    /// A WAV file the shell wrote.
    File(PathBuf),
}

/// What reached the target app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Saved, not yet delivered (or the app stopped before it was).
    Pending,
    Injected,
    /// Copy-only mode: on the clipboard.
    Copied,
    Failed(String),
}

/// A transcript to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTranscript {
    pub created_at: SystemTime,
    /// What was (or will be) inserted.
    pub text: String,
    /// The model's output before post-processing.
    pub raw_text: String,
    /// Length of the audio.
    pub duration: Duration,
    pub model_id: Option<String>,
    pub recording: Option<Recording>,
}

/// A saved transcript, without its audio ([`History::recording`] fetches that).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: TranscriptId,
    pub created_at: SystemTime,
    pub text: String,
    pub raw_text: String,
    pub duration: Duration,
    pub model_id: Option<String>,
    pub delivery: Delivery,
    pub has_recording: bool,
}

/// The history database.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
}

const ENTRY_COLUMNS: &str = "id, created_at_ms, text, raw_text, duration_ms, model_id, delivery, \
     delivery_error, recording_wav IS NOT NULL OR recording_path IS NOT NULL";

impl History {
    /// `history.sqlite3` in `$NOI_DATA_DIR`, else the platform data dir.
    pub fn open_default() -> Result<Self> {
        let dir = fsutil::data_dir().ok_or(HistoryError::NoDataDir)?;
        Self::open(dir.join(HISTORY_FILE))
    }

    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let open_error = |source| HistoryError::Open {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|source| HistoryError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut conn = Connection::open(&path).map_err(open_error)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_error)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON;")
            .map_err(open_error)?;
        migrate(&mut conn, &path)?;
        Ok(Self { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder whose recording files this history owns.
    pub fn recordings_dir(&self) -> PathBuf {
        self.path.with_file_name(RECORDINGS_DIR)
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(user_version(&self.conn)?)
    }

    /// Saves a transcript with delivery [`Delivery::Pending`]. Call before injecting.
    pub fn insert(&self, transcript: &NewTranscript) -> Result<TranscriptId> {
        let (wav, path) = match &transcript.recording {
            Some(Recording::Wav(bytes)) => (Some(bytes.as_slice()), None),
            Some(Recording::File(path)) => (None, Some(path.to_string_lossy().into_owned())),
            None => (None, None),
        };
        self.conn.execute(
            "INSERT INTO transcripts
               (created_at_ms, text, raw_text, duration_ms, model_id, recording_wav, recording_path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                unix_ms(transcript.created_at),
                transcript.text,
                transcript.raw_text,
                millis(transcript.duration),
                transcript.model_id,
                wav,
                path,
            ],
        )?;
        Ok(TranscriptId(self.conn.last_insert_rowid()))
    }

    /// Records what happened to the text; false when the entry no longer exists.
    pub fn mark_delivery(&self, id: TranscriptId, delivery: &Delivery) -> Result<bool> {
        let (state, error) = match delivery {
            Delivery::Pending => ("pending", None),
            Delivery::Injected => ("injected", None),
            Delivery::Copied => ("copied", None),
            Delivery::Failed(reason) => ("failed", Some(reason.as_str())),
        };
        let changed = self.conn.execute(
            "UPDATE transcripts SET delivery = ?2, delivery_error = ?3 WHERE id = ?1",
            params![id.0, state, error],
        )?;
        Ok(changed == 1)
    }

    /// The newest `limit` entries, newest first.
    pub fn recent(&self, limit: usize) -> Result<Vec<Entry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM transcripts ORDER BY created_at_ms DESC, id DESC LIMIT ?1"
        );
        let mut statement = self.conn.prepare(&sql)?;
        let rows = statement.query_map([limit], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest entry ("copy last transcript").
    pub fn last(&self) -> Result<Option<Entry>> {
        Ok(self.recent(1)?.into_iter().next())
    }

    pub fn get(&self, id: TranscriptId) -> Result<Option<Entry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM transcripts WHERE id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [id.0], entry_from_row)
            .optional()?)
    }

    /// The entry's audio, if it kept any.
    pub fn recording(&self, id: TranscriptId) -> Result<Option<Recording>> {
        let row: Option<(Option<Vec<u8>>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT recording_wav, recording_path FROM transcripts WHERE id = ?1",
                [id.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((Some(bytes), _)) => Some(Recording::Wav(bytes)),
            Some((None, Some(path))) => Some(Recording::File(path.into())),
            _ => None,
        })
    }

    /// Deletes one entry (and its recording file); false when it did not exist.
    pub fn delete(&mut self, id: TranscriptId) -> Result<bool> {
        Ok(self.delete_where("id = ?1", id.0)? == 1)
    }

    /// Deletes everything; returns how many entries there were.
    pub fn clear(&mut self) -> Result<usize> {
        self.delete_where("?1 = ?1", 0) // every row; the parameter keeps one code path
    }

    /// Deletes entries created more than `max_age` before `now`; returns how many.
    pub fn prune(&mut self, now: SystemTime, max_age: Duration) -> Result<usize> {
        let cutoff = unix_ms(now).saturating_sub(millis(max_age));
        self.delete_where("created_at_ms < ?1", cutoff)
    }

    fn delete_where(&mut self, condition: &str, value: i64) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let files: Vec<String> = {
            let sql = format!(
                "SELECT recording_path FROM transcripts \
                 WHERE recording_path IS NOT NULL AND ({condition})"
            );
            let mut statement = tx.prepare(&sql)?;
            let rows = statement.query_map([value], |row| row.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let deleted = tx.execute(
            &format!("DELETE FROM transcripts WHERE {condition}"),
            [value],
        )?;
        tx.commit()?;
        self.remove_owned_files(files);
        Ok(deleted)
    }

    /// Best effort: a file already gone is fine, and files outside our folder are the user's.
    fn remove_owned_files(&self, files: Vec<String>) {
        let own = self.recordings_dir();
        for file in files.iter().map(PathBuf::from) {
            if file.starts_with(&own)
                && let Err(error) = fs::remove_file(&file)
                && error.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!("cannot delete recording {}: {error}", file.display());
            }
        }
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let supported = MIGRATIONS.len() as u32;
    let found = user_version(conn)?;
    if found > supported {
        return Err(HistoryError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    let tx = conn.transaction()?;
    for step in &MIGRATIONS[found as usize..] {
        tx.execute_batch(step)?;
    }
    // PRAGMA takes no parameters; the value is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {supported}"))?;
    tx.commit()?;
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<Entry> {
    let delivery: String = row.get(6)?;
    let error: Option<String> = row.get(7)?;
    let delivery = match delivery.as_str() {
        "injected" => Delivery::Injected,
        "copied" => Delivery::Copied,
        "failed" => Delivery::Failed(error.unwrap_or_default()),
        _ => Delivery::Pending,
    };
    Ok(Entry {
        id: TranscriptId(row.get(0)?),
        created_at: from_unix_ms(row.get(1)?),
        text: row.get(2)?,
        raw_text: row.get(3)?,
        duration: Duration::from_millis(row.get::<_, i64>(4)?.max(0) as u64),
        model_id: row.get(5)?,
        delivery,
        has_recording: row.get(8)?,
    })
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn unix_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, millis)
}

fn from_unix_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

/// A 16 kHz mono PCM16 WAV file holding `samples`.
pub fn wav_pcm16(samples: &[i16]) -> Vec<u8> {
    const RATE: u32 = 16_000;
    let data_len = (samples.len() * 2) as u32;
    let mut wav = Vec::with_capacity(44 + samples.len() * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // block align
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

/// [`wav_pcm16`] from the engine's float samples. `x * 32768`, rounded and clamped, is the exact
/// inverse of the usual `i16 / 32768` capture conversion, so PCM16 captured audio round-trips
/// bit for bit (the desktop end-to-end test compares recordings sample for sample).
pub fn wav_from_f32(samples: &[f32]) -> Vec<u8> {
    let pcm: Vec<i16> = samples
        .iter()
        .map(|&x| (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    wav_pcm16(&pcm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_750_000_000 + secs)
    }

    fn transcript(text: &str, secs: u64) -> NewTranscript {
        NewTranscript {
            created_at: at(secs),
            text: text.into(),
            raw_text: text.to_uppercase(),
            duration: Duration::from_millis(4_250),
            model_id: Some("zipformer-vi-int8".into()),
            recording: None,
        }
    }

    fn open() -> (tempfile::TempDir, History) {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open(dir.path().join(HISTORY_FILE)).unwrap();
        (dir, history)
    }

    #[test]
    fn insert_then_read_back_before_and_after_delivery() {
        let (_dir, history) = open();
        let id = history.insert(&transcript("Xin chào các bạn", 0)).unwrap();
        let entry = history.get(id).unwrap().unwrap();
        assert_eq!(entry.text, "Xin chào các bạn");
        assert_eq!(entry.raw_text, "XIN CHÀO CÁC BẠN");
        assert_eq!(entry.created_at, at(0));
        assert_eq!(entry.duration, Duration::from_millis(4_250));
        assert_eq!(entry.model_id.as_deref(), Some("zipformer-vi-int8"));
        assert_eq!(entry.delivery, Delivery::Pending, "saved before injection");
        assert!(!entry.has_recording);

        let failed = Delivery::Failed("no focused window".into());
        assert!(history.mark_delivery(id, &failed).unwrap());
        assert_eq!(history.get(id).unwrap().unwrap().delivery, failed);
        assert!(history.mark_delivery(id, &Delivery::Injected).unwrap());
        assert_eq!(
            history.get(id).unwrap().unwrap().delivery,
            Delivery::Injected
        );
        assert!(
            !history
                .mark_delivery(TranscriptId(999), &Delivery::Copied)
                .unwrap()
        );
    }

    #[test]
    fn recent_is_newest_first_and_last_is_the_newest() {
        let (_dir, history) = open();
        for (i, text) in ["một", "hai", "ba", "bốn"].iter().enumerate() {
            history.insert(&transcript(text, i as u64 * 60)).unwrap();
        }
        let texts: Vec<_> = history
            .recent(3)
            .unwrap()
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(texts, ["bốn", "ba", "hai"]);
        assert_eq!(history.last().unwrap().unwrap().text, "bốn");
        assert_eq!(history.recent(100).unwrap().len(), 4);
    }

    #[test]
    fn empty_history_has_no_last() {
        let (_dir, history) = open();
        assert_eq!(history.last().unwrap(), None);
        assert_eq!(history.get(TranscriptId(1)).unwrap(), None);
    }

    #[test]
    fn survives_reopening_and_keeps_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir").join(HISTORY_FILE);
        let id = {
            let history = History::open(&path).unwrap();
            assert_eq!(history.schema_version().unwrap(), MIGRATIONS.len() as u32);
            history.insert(&transcript("Hà Nội", 0)).unwrap()
        };
        let history = History::open(&path).unwrap();
        assert_eq!(history.schema_version().unwrap(), 1);
        assert_eq!(history.get(id).unwrap().unwrap().text, "Hà Nội");
    }

    #[test]
    fn newer_schema_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 7;")
                .unwrap();
        }
        let error = History::open(&path).unwrap_err();
        assert!(
            matches!(
                error,
                HistoryError::NewerSchema {
                    found: 7,
                    supported: 1,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("update Nói"));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 7);
    }

    #[test]
    fn not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        fs::write(
            &path,
            "this is not sqlite, just text that is long enough......",
        )
        .unwrap();
        let error = History::open(&path).unwrap_err();
        assert!(error.to_string().contains("move the file aside"), "{error}");
    }

    #[test]
    fn wav_recordings_round_trip() {
        let (_dir, history) = open();
        let samples: Vec<i16> = (0..16_000)
            .map(|i| ((i * 37) % 65_536 - 32_768) as i16)
            .collect();
        let wav = wav_pcm16(&samples);
        let mut with_audio = transcript("Có âm thanh", 0);
        with_audio.recording = Some(Recording::Wav(wav.clone()));
        let id = history.insert(&with_audio).unwrap();
        assert!(history.get(id).unwrap().unwrap().has_recording);
        assert_eq!(history.recording(id).unwrap(), Some(Recording::Wav(wav)));
        let without = history.insert(&transcript("Không", 1)).unwrap();
        assert_eq!(history.recording(without).unwrap(), None);
    }

    #[test]
    fn wav_bytes_decode_to_the_same_samples() {
        let samples: Vec<f32> = (0..1600).map(|i| ((i as f32) * 0.01).sin() * 0.5).collect();
        let pcm: Vec<i16> = samples
            .iter()
            .map(|x| (x * 32768.0).round() as i16)
            .collect();
        let wav = wav_from_f32(&samples);
        assert_eq!(wav.len(), 44 + 3200);
        let (decoded, info) =
            noi_engine::audio::read_all_bytes(wav, Some("wav")).expect("engine reads our WAV");
        assert_eq!(info.sample_rate, 16_000);
        let back: Vec<i16> = decoded
            .iter()
            .map(|x| (x * 32768.0).round() as i16)
            .collect();
        assert_eq!(back, pcm);
    }

    #[test]
    fn delete_one_and_clear_all() {
        let (_dir, mut history) = open();
        let a = history.insert(&transcript("a", 0)).unwrap();
        let b = history.insert(&transcript("b", 1)).unwrap();
        let c = history.insert(&transcript("c", 2)).unwrap();
        assert!(history.delete(b).unwrap());
        assert!(!history.delete(b).unwrap(), "already gone");
        let ids: Vec<_> = history.recent(10).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(ids, [c, a]);
        assert_eq!(history.clear().unwrap(), 2);
        assert!(history.recent(10).unwrap().is_empty());
    }

    #[test]
    fn prune_removes_only_entries_past_retention() {
        let (_dir, mut history) = open();
        let day = 86_400;
        history.insert(&transcript("cũ", 0)).unwrap();
        history.insert(&transcript("vừa", 29 * day)).unwrap();
        history.insert(&transcript("mới", 31 * day)).unwrap();
        let now = at(31 * day);
        let removed = history.prune(now, Duration::from_secs(30 * day)).unwrap();
        assert_eq!(removed, 1);
        let texts: Vec<_> = history
            .recent(10)
            .unwrap()
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(texts, ["mới", "vừa"]);
    }

    #[test]
    fn deleting_removes_owned_recording_files_only() {
        let (dir, mut history) = open();
        let own_dir = history.recordings_dir();
        fs::create_dir_all(&own_dir).unwrap();
        let own = own_dir.join("1.wav");
        let users = dir.path().join("my-own.wav");
        fs::write(&own, wav_pcm16(&[0; 160])).unwrap();
        fs::write(&users, wav_pcm16(&[0; 160])).unwrap();
        for (i, file) in [&own, &users].into_iter().enumerate() {
            let mut entry = transcript("có file", i as u64);
            entry.recording = Some(Recording::File(file.clone()));
            history.insert(&entry).unwrap();
        }
        let first = history.recent(10).unwrap()[1].id;
        assert_eq!(
            history.recording(first).unwrap(),
            Some(Recording::File(own.clone()))
        );
        assert_eq!(history.clear().unwrap(), 2);
        assert!(!own.exists(), "our recording is deleted with its entry");
        assert!(
            users.exists(),
            "a file outside recordings/ is never deleted"
        );
    }
}
