//! Standard-library modules live inside the compiler; to jump into them an
//! editor needs files. They are written once per compiler version to a
//! cache directory (read-only) and addressed by `file://` URIs.

use std::path::PathBuf;

/// `$XDG_CACHE_HOME/moat/stdlib-VERSION`, `~/.cache/…`, or the temp dir.
fn dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("moat")
        .join(format!("stdlib-{}", env!("CARGO_PKG_VERSION")))
}

/// The file holding stdlib module `name`, written if missing or stale.
pub fn path(name: &str) -> Option<PathBuf> {
    let text = moat::stdlib::source(name)?;
    let dir = dir();
    let file = dir.join(format!("{name}.moat"));
    if std::fs::read_to_string(&file).ok().as_deref() == Some(text) {
        return Some(file);
    }
    std::fs::create_dir_all(&dir).ok()?;
    // Replace a stale read-only copy.
    let _ = std::fs::remove_file(&file);
    std::fs::write(&file, text).ok()?;
    if let Ok(meta) = std::fs::metadata(&file) {
        let mut perms = meta.permissions();
        perms.set_readonly(true);
        let _ = std::fs::set_permissions(&file, perms);
    }
    Some(file)
}
