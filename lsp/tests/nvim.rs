//! End to end with a real editor: headless Neovim opens a policy with an
//! error, starts `moat lsp` as its language server, and a Lua script
//! asserts the diagnostic it received. Skipped (with a message) when
//! `nvim` is not installed; `.ci/run` installs Debian's `neovim`.

mod support;

use std::path::Path;
use std::process::Command;
use support::workdir;

const SCRIPT: &str = r#"
local dir = vim.env.MOAT_TEST_DIR
local out = dir .. "/result.txt"
local function finish(text, code)
  local f = io.open(out, "w")
  f:write(text)
  f:close()
  vim.cmd(code == 0 and "qall!" or "cquit " .. code)
end
vim.cmd("edit " .. dir .. "/policy.moat")
local config = {
  name = "moat",
  cmd = vim.split(vim.env.MOAT_LSP_CMD, " "),
  root_dir = dir,
}
-- vim.lsp.start is Neovim 0.8+; Debian 12 ships 0.7.
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config)
else
  client_id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(0, client_id)
end
if not client_id then
  finish("the language server did not start", 2)
end
local got = vim.wait(15000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
if not got then
  finish("no diagnostics within 15 s", 3)
end
local d = vim.diagnostic.get(0)[1]
finish(string.format("line=%d col=%d severity=%d message=%s", d.lnum, d.col, d.severity, d.message), 0)
"#;

#[test]
fn neovim_receives_the_diagnostic() {
    let Ok(v) = Command::new("nvim").arg("--version").output() else {
        println!("SKIPPED: nvim is not installed (apt-get install neovim)");
        return;
    };
    let version = String::from_utf8_lossy(&v.stdout);
    println!("{}", version.lines().next().unwrap_or("nvim"));
    let dir = workdir("nvim");
    std::fs::write(
        dir.join("policy.moat"),
        "profile p {\n    targets x86_64\n    default allow\n    kill opnat\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("check.lua"), SCRIPT).unwrap();
    // `moat lsp` when the `moat` binary sits beside `moat-lsp` (a workspace
    // build), else the server binary itself.
    let server = Path::new(env!("CARGO_BIN_EXE_moat-lsp"));
    let moat = server.with_file_name("moat");
    let cmd = if moat.is_file() {
        format!("{} lsp", moat.display())
    } else {
        server.display().to_string()
    };
    println!("server command: {cmd}");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-u", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", dir.join("check.lua").display()))
        .env("MOAT_TEST_DIR", &dir)
        .env("MOAT_LSP_CMD", &cmd)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .status()
        .expect("run nvim");
    let result = std::fs::read_to_string(dir.join("result.txt")).unwrap_or_default();
    assert!(status.success(), "nvim failed ({status}): {result}");
    assert!(result.starts_with("line=3 col=9 severity=1 "), "{result}");
    assert!(
        result.contains("unknown syscall or group `opnat`"),
        "{result}"
    );
    assert!(result.contains("did you mean `openat`?"), "{result}");
}
