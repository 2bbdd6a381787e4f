// The moat extension: starts `moat lsp` (or `moat-lsp`) for .moat files.
// Everything else (diagnostics, hover, completion, formatting, …) comes
// from the language server.
"use strict";

const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("moat");
  const command = config.get("server.path") || "moat";
  const env = Object.assign({}, process.env, config.get("server.extraEnv") || {});
  // `moat` needs the `lsp` subcommand; `moat-lsp` takes none.
  const args = path.basename(command).startsWith("moat-lsp") ? [] : ["lsp"];
  const run = { command, args, transport: TransportKind.stdio, options: { env } };
  return { run, debug: run };
}

function activate(context) {
  client = new LanguageClient(
    "moat",
    "moat language server",
    serverOptions(),
    {
      documentSelector: [{ scheme: "file", language: "moat" }, { scheme: "untitled", language: "moat" }],
    }
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("moat.restartServer", () => client && client.restart())
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
