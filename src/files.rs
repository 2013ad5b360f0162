//! Files on a shared jump host: the embedded database, drafts, exports and
//! the log hold taxpayers' data, so they are the user's alone: folders
//! 0700, files 0600, created so and tightened when found looser.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const DIR: u32 = 0o700;
const FILE: u32 = 0o600;

/// Tightens one path to `mode` when group or others have any access;
/// returns what was done, for the log.
fn tighten(path: &Path, mode: u32) -> io::Result<Option<String>> {
    let now = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if now & 0o077 == 0 {
        return Ok(None);
    }
    std::fs::set_permissions(path, Permissions::from_mode(mode))?;
    Ok(Some(format!(
        "tightened {} from {now:o} to {mode:o}",
        path.display()
    )))
}

/// A folder of the user's own: made 0700 (with its parents), or tightened;
/// the files directly in it tightened to 0600. Returns what was tightened.
pub fn private_dir(path: &Path) -> io::Result<Vec<String>> {
    if !path.exists() {
        DirBuilder::new().recursive(true).mode(DIR).create(path)?;
    }
    let mut done: Vec<String> = tighten(path, DIR)?.into_iter().collect();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            done.extend(tighten(&entry.path(), FILE)?);
        }
    }
    Ok(done)
}

/// A file of the user's own: made empty at 0600 if missing, else
/// tightened; the same for the files SQLite keeps beside a database.
pub fn private_file(path: &Path) -> io::Result<Vec<String>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        DirBuilder::new().recursive(true).mode(DIR).create(dir)?;
    }
    if !path.exists() {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE)
            .open(path)?;
        return Ok(vec![]);
    }
    let mut done: Vec<String> = tighten(path, FILE)?.into_iter().collect();
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!(
            "{}{suffix}",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        if side.exists() {
            done.extend(tighten(&side, FILE)?);
        }
    }
    Ok(done)
}

/// Writes a file the user alone may read (replacing it whole: written
/// beside and renamed, so a crash never leaves half of it). Only a
/// regular file is replaced: a device, a pipe, a directory or a symbolic
/// link named as the file is refused, not swapped for a file. The file
/// beside is new (`create_new`): a link planted under its name on a shared
/// host is never followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "不是普通文件，不会被替换：请换一个文件名 (not a regular file, and not replaced: name another file)",
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_file_name(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE)
        .open(&tmp)?;
    let written = f
        .write_all(bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::set_permissions(&tmp, Permissions::from_mode(FILE)))
        .and_then(|_| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A file the user alone may read, opened to append.
pub fn append_private(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(FILE)
        .open(path)
}

/// A file the user names, read as UTF-8 text: it must be a regular file
/// of at most `limit` bytes (a device or a pipe named as the file must not
/// hang the program or exhaust its memory).
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "不是普通文件 (not a regular file)",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("超过 {} KiB (larger than {} KiB)", limit >> 10, limit >> 10),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorKind::InvalidData, "不是 UTF-8 (not UTF-8)"))
}

/// Limits of what the program reads: personal files (config, keymaps,
/// drafts, passwords), deployment and id lists, audit checkpoints.
pub const SMALL: u64 = 1 << 20;
pub const LIST: u64 = 64 << 20;
pub const CHECKPOINT: u64 = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_regular_file_is_replaced() {
        use std::io::ErrorKind;
        use std::path::PathBuf;
        use std::process::Command;
        let top = tempfile::tempdir().unwrap();
        let target = top.path().join("kept.txt");
        std::fs::write(&target, b"mine").unwrap();
        let link = top.path().join("link.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fifo = top.path().join("fifo");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        for p in [
            &link,
            &fifo,
            &top.path().to_path_buf(),
            &PathBuf::from("/dev/null"),
        ] {
            let e = write_private(p, b"x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{p:?}");
        }
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            !std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_file()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"mine");
        // A regular file is replaced whole, and nothing is left beside it.
        write_private(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(top.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_the_users_alone() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("a/b");
        assert!(private_dir(&dir).unwrap().is_empty());
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("x.db");
        private_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        std::fs::set_permissions(&f, Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        let said = private_dir(&dir).unwrap();
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!((mode(&dir), mode(&f)), (0o700, 0o600));
        let g = dir.join("g.csv");
        write_private(&g, b"x").unwrap();
        assert_eq!(mode(&g), 0o600);
    }
}
