//! `moat-lsp`: the moat language server on standard input and output.
//!
//! Every feature is a query of `moat::ide` over the compiler's own
//! analysis; this crate only speaks the protocol (tower-lsp-server),
//! keeps the open documents, and converts positions.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod convert;
mod server;
mod stdlib;

use tower_lsp_server::{LspService, Server};

fn main() {
    if std::env::args().any(|a| a == "--version" || a == "-V") {
        println!("moat-lsp {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("moat-lsp: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    runtime.block_on(async {
        let stdin = tokio::io::stdin();
        let stdout = tokio::io::stdout();
        let (service, socket) = LspService::new(server::Backend::new);
        Server::new(stdin, stdout, socket).serve(service).await;
    });
}
