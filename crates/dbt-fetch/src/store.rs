//! The temporary directory downloads are streamed into.

use std::path::{Path, PathBuf};

use tempfile::TempDir;
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::{FetchError, FetchOptions};

/// Large writes keep the number of blocking file operations low.
const WRITE_BUFFER: usize = 256 * 1024;

/// A temporary directory with one subdirectory per artifact set.
pub(crate) struct Downloads {
    dir: TempDir,
}

impl Downloads {
    pub(crate) fn new(opts: &FetchOptions) -> Result<Downloads, FetchError> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("omctl-dbt-");
        let made = match &opts.temp_parent {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        };
        let dir = made.map_err(|source| FetchError::Write {
            path: opts
                .temp_parent
                .clone()
                .unwrap_or_else(std::env::temp_dir)
                .display()
                .to_string(),
            source,
        })?;
        Ok(Downloads { dir })
    }

    /// The directory of set `index`, created, with a trailing separator in its
    /// string form so that `set-1/` is never a prefix of `set-10/`.
    pub(crate) fn set_dir(&self, index: usize) -> Result<(PathBuf, String), FetchError> {
        let dir = self.dir.path().join(format!("set-{index}"));
        std::fs::create_dir_all(&dir).map_err(|source| FetchError::Write {
            path: dir.display().to_string(),
            source,
        })?;
        let mut prefix = dir.display().to_string();
        prefix.push(std::path::MAIN_SEPARATOR);
        Ok((dir, prefix))
    }

    pub(crate) fn into_dir(self) -> TempDir {
        self.dir
    }
}

/// A file being written from a stream of chunks.
pub(crate) struct FileSink {
    path: PathBuf,
    out: BufWriter<tokio::fs::File>,
    written: u64,
}

impl FileSink {
    pub(crate) async fn create(path: &Path) -> Result<FileSink, FetchError> {
        let file = tokio::fs::File::create(path)
            .await
            .map_err(|source| write_error(path, source))?;
        Ok(FileSink {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            written: 0,
        })
    }

    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<(), FetchError> {
        self.written += chunk.len() as u64;
        self.out
            .write_all(chunk)
            .await
            .map_err(|source| write_error(&self.path, source))
    }

    /// Flushes the file; returns the number of bytes written.
    pub(crate) async fn finish(mut self) -> Result<u64, FetchError> {
        self.out
            .flush()
            .await
            .map_err(|source| write_error(&self.path, source))?;
        Ok(self.written)
    }
}

fn write_error(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Write {
        path: path.display().to_string(),
        source,
    }
}
