//! Reason drafts, one small file per database and application in the
//! state directory: a cancelled dialog, a conflict or a dropped SSH session
//! loses nothing the officer typed.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Drafts {
    dir: Option<PathBuf>,
    /// Separates databases: the same id in two databases is two items.
    scope: String,
}

impl Drafts {
    pub fn new(dir: Option<PathBuf>, database_url: &str) -> Drafts {
        // FNV-1a of the URL: stable across runs, no crate needed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in database_url.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Drafts {
            dir,
            scope: format!("{h:016x}"),
        }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{}-{key}.txt", self.scope)))
    }

    pub fn load(&self, key: &str) -> Option<String> {
        let text = crate::files::read_text(&self.path(key)?, crate::files::SMALL).ok()?;
        (!text.trim().is_empty()).then_some(text)
    }

    /// Best effort: a draft that cannot be written is not worth stopping the
    /// officer for; it is logged.
    pub fn save(&self, key: &str, text: &str) {
        let Some(p) = self.path(key) else { return };
        if text.trim().is_empty() {
            let _ = std::fs::remove_file(&p);
            return;
        }
        if let Some(d) = p.parent().filter(|d| !d.exists()) {
            let _ = crate::files::private_dir(d);
        }
        // The user's alone; written then renamed: a crash never leaves half a draft.
        if let Err(e) = crate::files::write_private(&p, text.as_bytes()) {
            tracing::warn!("cannot save draft {}: {e}", p.display());
        }
    }

    pub fn clear(&self, key: &str) {
        if let Some(p) = self.path(key) {
            let _ = std::fs::remove_file(p);
        }
    }
}
