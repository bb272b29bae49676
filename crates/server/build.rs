//! Builds the web UI (`web/`, TypeScript + Svelte + Vite) into `web/dist`, which `src/web.rs` embeds.
//!
//! The UI is rebuilt when `web/dist` is missing or older than any of its sources, with the pinned
//! dependencies of `web/package-lock.json` (`npm ci`, only when they changed). Node.js and npm are
//! needed for that; without them the build stops with a clear message. `INBOX_SKIP_WEB_BUILD=1`
//! skips it (the binary then serves whatever `web/dist` holds, or a page saying the UI is missing).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "svelte.config.js",
    "tsconfig.json",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let dist = web.join("dist");
    println!("cargo:rerun-if-env-changed=INBOX_SKIP_WEB_BUILD");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", web.join(source).display());
    }
    println!("cargo:rerun-if-changed={}", dist.join("index.html").display());

    if std::env::var_os("INBOX_SKIP_WEB_BUILD").is_some() {
        std::fs::create_dir_all(&dist).expect("creating web/dist");
        return;
    }
    let sources_changed = SOURCES.iter().filter_map(|s| newest(&web.join(s))).max();
    let built = std::fs::metadata(dist.join("index.html")).and_then(|m| m.modified()).ok();
    if matches!((built, sources_changed), (Some(b), Some(s)) if b >= s) {
        return;
    }

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        panic!(
            "\n\nThe web UI (web/) needs Node.js 20+ and npm to build, and `npm` was not found.\n\
             Install Node.js (e.g. `apt-get install nodejs npm`), or set INBOX_SKIP_WEB_BUILD=1 to build \
             the server without its UI.\n"
        );
    }
    let installed = web.join("node_modules/.package-lock.json");
    let lock_changed = newest(&web.join("package-lock.json"));
    let install_time = std::fs::metadata(&installed).and_then(|m| m.modified()).ok();
    if !matches!((install_time, lock_changed), (Some(i), Some(l)) if i >= l) {
        run(Command::new(npm).args(["ci", "--no-audit", "--no-fund"]).current_dir(&web), "npm ci");
    }
    run(Command::new(npm).args(["run", "build"]).current_dir(&web), "npm run build");
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| panic!("running `{what}` in web/: {e}"));
    assert!(status.success(), "`{what}` in web/ failed ({status}); see its output above");
}

/// The newest modification time under `path` (a file or a directory tree).
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path).ok()?.filter_map(|e| e.ok()).filter_map(|e| newest(&e.path())).max()
}
