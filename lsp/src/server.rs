//! The language server: open documents, their analyses, and one thin
//! handler per LSP request over `moat::ide`.
//!
//! Concurrency: the server may run several handlers at once. Analyses and
//! formatting run on tokio's blocking pool, so a slow one never holds up
//! the loop that reads messages. A document's text (full or incremental
//! sync) is changed without any `.await` between reading and writing it,
//! changes older than the stored version are ignored, and an analysis is
//! kept (and its diagnostics published) only if the document still has the
//! version it was made from. The lock is never held across an `.await`.
//! Every request runs its query under `catch_unwind`: a bug in a query
//! gives an empty answer, not a dead server.

use crate::convert::{self, Encoding};
use moat::ide;
use moat::sema::{self, Analysis};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

/// How long a change waits for the next one before it is analysed.
const DEBOUNCE: Duration = Duration::from_millis(40);

struct Doc {
    text: String,
    version: i32,
    /// The file the document is a buffer of, for the overlay.
    path: Option<std::path::PathBuf>,
    /// The analysis of `text`, once made.
    analysis: Option<Arc<Analysis>>,
    /// Bumped whenever a file the document imports changes, so that an
    /// analysis started before that (same version, older overlay) is
    /// dropped like one of an older version.
    generation: u64,
    /// The files on disk or in other buffers the latest analysis read:
    /// kept while a new analysis runs, to know whom a change concerns.
    reads: Vec<std::path::PathBuf>,
}

impl Doc {
    fn new(text: String, version: i32, uri: &Uri) -> Doc {
        Doc {
            text,
            version,
            path: file_path(uri).map(canonical),
            analysis: None,
            generation: 0,
            reads: Vec::new(),
        }
    }

    fn keep(&mut self, a: &Arc<Analysis>) {
        self.reads = a
            .sources
            .files()
            .filter_map(|(_, f)| match &f.origin {
                moat::source::Origin::Path(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        self.analysis = Some(a.clone());
    }
}

#[derive(Default)]
struct State {
    docs: HashMap<Uri, Doc>,
    encoding: Option<Encoding>,
    debounce: Option<Duration>,
}

pub struct Backend {
    client: Client,
    state: Mutex<State>,
}

fn guarded<T>(what: &str, f: impl FnOnce() -> Option<T>) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            eprintln!("moat-lsp: internal error in {what}; answering with nothing");
            None
        }
    }
}

/// The file behind a `file:` URI.
fn file_path(uri: &Uri) -> Option<std::path::PathBuf> {
    uri.scheme()
        .as_str()
        .eq_ignore_ascii_case("file")
        .then(|| uri.to_file_path().map(|p| p.into_owned()))
        .flatten()
}

/// Where the analysis reads a file: its canonical path when it exists.
fn canonical(path: std::path::PathBuf) -> std::path::PathBuf {
    std::fs::canonicalize(&path).unwrap_or(path)
}

fn analyze(uri: &Uri, text: &str, overlay: Overlay) -> Option<Analysis> {
    let path = file_path(uri);
    let name = path
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| uri.as_str().to_string());
    guarded("analysis", || {
        Some(sema::analyze_source(
            &name,
            path.as_deref(),
            text,
            &sema::Options {
                overlay,
                ..sema::Options::from_env()
            },
        ))
    })
}

/// Open documents' texts by file, for imports of unsaved buffers.
type Overlay = Arc<HashMap<std::path::PathBuf, String>>;

/// [`analyze`] on tokio's blocking pool, so that a long analysis never
/// holds up the runtime that reads requests and notifications.
async fn analyze_off_thread(uri: Uri, text: String, overlay: Overlay) -> Option<Analysis> {
    tokio::task::spawn_blocking(move || analyze(&uri, &text, overlay))
        .await
        .ok()
        .flatten()
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the data is whole.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every open document's text but `except`'s, by file.
    fn overlay(st: &State, except: &Uri) -> Overlay {
        Arc::new(
            st.docs
                .iter()
                .filter(|(u, _)| *u != except)
                .filter_map(|(_, d)| Some((d.path.clone()?, d.text.clone())))
                .collect(),
        )
    }

    fn encoding(&self) -> Encoding {
        self.lock().encoding.unwrap_or(Encoding::Utf16)
    }

    /// The analysis of the document's current text, made now if needed.
    async fn analysis(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        let text_version = {
            let st = self.lock();
            let doc = st.docs.get(uri)?;
            if let Some(a) = &doc.analysis {
                return Some(a.clone());
            }
            (
                doc.text.clone(),
                (doc.version, doc.generation),
                Backend::overlay(&st, uri),
            )
        };
        let (text, stamp, overlay) = text_version;
        let a = Arc::new(analyze_off_thread(uri.clone(), text, overlay).await?);
        let mut st = self.lock();
        if let Some(doc) = st.docs.get_mut(uri) {
            if (doc.version, doc.generation) == stamp {
                doc.keep(&a);
            }
        }
        Some(a)
    }

    /// Analyses the document and publishes its diagnostics, unless it
    /// changed meanwhile (then the newer change publishes).
    async fn refresh(&self, uri: Uri, version: i32) {
        let (text, generation, overlay) = {
            let st = self.lock();
            match st.docs.get(&uri) {
                Some(d) if d.version == version => {
                    (d.text.clone(), d.generation, Backend::overlay(&st, &uri))
                }
                _ => return,
            }
        };
        let Some(a) = analyze_off_thread(uri.clone(), text, overlay).await else {
            return;
        };
        let a = Arc::new(a);
        let enc = self.encoding();
        let diags: Vec<Diagnostic> = guarded("diagnostics", || {
            Some(
                ide::diagnostics::for_file(&a, ide::root_file(&a))
                    .iter()
                    .map(|d| convert::diagnostic(&a, &uri, d, enc))
                    .collect(),
            )
        })
        .unwrap_or_default();
        {
            let mut st = self.lock();
            match st.docs.get_mut(&uri) {
                Some(d) if d.version == version && d.generation == generation => d.keep(&a),
                _ => return,
            }
        }
        self.client
            .publish_diagnostics(uri, diags, Some(version))
            .await;
    }

    /// Analyses again, and publishes for, the open documents that import
    /// `uri`'s file: they read its buffer, which just changed.
    async fn refresh_dependents(&self, uri: &Uri) {
        for (dependent, version) in self.dependents(uri) {
            self.reanalyse(dependent, version).await;
        }
    }

    async fn reanalyse(&self, uri: Uri, version: i32) {
        let stale = {
            let mut st = self.lock();
            st.docs.get_mut(&uri).and_then(|d| {
                d.generation += 1;
                d.analysis.take()
            })
        };
        drop_off_thread(stale);
        self.refresh(uri, version).await;
    }

    /// Open documents other than `uri` whose analysis read `uri`'s file.
    fn dependents(&self, uri: &Uri) -> Vec<(Uri, i32)> {
        let Some(path) = file_path(uri) else {
            return Vec::new();
        };
        let path = canonical(path);
        let st = self.lock();
        st.docs
            .iter()
            .filter(|(u, d)| *u != uri && d.reads.contains(&path))
            .map(|(u, d)| (u.clone(), d.version))
            .collect()
    }

    async fn with_doc<T>(
        &self,
        uri: &Uri,
        what: &str,
        f: impl FnOnce(&Analysis, &moat::source::SourceFile, Encoding) -> Option<T>,
    ) -> Option<T> {
        let a = self.analysis(uri).await?;
        let enc = self.encoding();
        guarded(what, || {
            let file = a.sources.get(ide::root_file(&a));
            f(&a, file, enc)
        })
    }
}

/// Frees an analysis no longer needed on the blocking pool: a big one
/// takes milliseconds to drop, time an edit's diagnostics should not wait.
fn drop_off_thread(analysis: Option<Arc<Analysis>>) {
    if let Some(a) = analysis {
        tokio::task::spawn_blocking(move || drop(a));
    }
}

/// Applies one content change: a whole new text, or a range replaced.
fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent, enc: Encoding) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let file = moat::source::SourceFile::new("", moat::source::Origin::Memory, text.as_str());
    let start = convert::offset(&file, range.start, enc);
    let end = convert::offset(&file, range.end, enc).max(start);
    if text.is_char_boundary(start) && text.is_char_boundary(end) && end <= text.len() {
        text.replace_range(start..end, &change.text);
    }
}

fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: ide::tokens::TokenType::ALL
            .iter()
            .map(|t| SemanticTokenType::new(t.lsp_name()))
            .collect(),
        token_modifiers: ide::tokens::MODIFIERS
            .iter()
            .map(|m| SemanticTokenModifier::new(m))
            .collect(),
    }
}

fn symbol_kind(k: ide::symbols::SymbolKind) -> SymbolKind {
    use ide::symbols::SymbolKind as K;
    match k {
        K::Import => SymbolKind::MODULE,
        K::Const => SymbolKind::CONSTANT,
        K::Group => SymbolKind::ARRAY,
        K::Mixin => SymbolKind::INTERFACE,
        K::Profile => SymbolKind::CLASS,
        K::Test => SymbolKind::METHOD,
        K::Setting => SymbolKind::PROPERTY,
        K::Rule => SymbolKind::FIELD,
        K::OnBlock => SymbolKind::NAMESPACE,
    }
}

fn completion_kind(k: ide::completion::CompletionKind) -> CompletionItemKind {
    use ide::completion::CompletionKind as K;
    match k {
        K::Keyword => CompletionItemKind::KEYWORD,
        K::Action => CompletionItemKind::OPERATOR,
        K::Syscall => CompletionItemKind::FUNCTION,
        K::Group => CompletionItemKind::CLASS,
        K::Argument => CompletionItemKind::VARIABLE,
        K::Constant => CompletionItemKind::CONSTANT,
        K::Errno => CompletionItemKind::ENUM_MEMBER,
        K::Module => CompletionItemKind::MODULE,
        K::Profile => CompletionItemKind::STRUCT,
        K::Arch => CompletionItemKind::ENUM,
        K::Flag => CompletionItemKind::PROPERTY,
    }
}

#[allow(deprecated)]
fn document_symbol(
    file: &moat::source::SourceFile,
    s: &ide::symbols::DocumentSymbol,
    enc: Encoding,
) -> DocumentSymbol {
    DocumentSymbol {
        name: s.name.clone(),
        detail: s.detail.clone(),
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: convert::range(file, s.span, enc),
        selection_range: convert::range(file, s.selection, enc),
        children: (!s.children.is_empty()).then(|| {
            s.children
                .iter()
                .map(|c| document_symbol(file, c, enc))
                .collect()
        }),
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref());
        let utf8 = offered.is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
        let enc = if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let debounce = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("debounceMs"))
            .and_then(|v| v.as_u64())
            .map(Duration::from_millis);
        {
            let mut st = self.lock();
            st.encoding = Some(enc);
            st.debounce = debounce;
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "moat-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(if utf8 {
                    PositionEncodingKind::UTF8
                } else {
                    PositionEncodingKind::UTF16
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![
                        ":".to_string(),
                        "(".to_string(),
                        " ".to_string(),
                    ]),
                    ..CompletionOptions::default()
                }),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".to_string(), ",".to_string()]),
                    ..SignatureHelpOptions::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..CodeActionOptions::default()
                    },
                )),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            ..SemanticTokensOptions::default()
                        },
                    ),
                ),
                ..ServerCapabilities::default()
            },
            offset_encoding: None,
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        {
            let mut st = self.lock();
            st.docs
                .insert(doc.uri.clone(), Doc::new(doc.text, doc.version, &doc.uri));
        }
        self.refresh(doc.uri.clone(), doc.version).await;
        self.refresh_dependents(&doc.uri).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let (debounce, stale) = {
            let enc = self.encoding();
            let mut st = self.lock();
            let debounce = st.debounce.unwrap_or(DEBOUNCE);
            let doc = st
                .docs
                .entry(uri.clone())
                .or_insert_with(|| Doc::new(String::new(), i32::MIN, &uri));
            if doc.version >= version {
                return;
            }
            for change in params.content_changes {
                apply_change(&mut doc.text, change, enc);
            }
            doc.version = version;
            (debounce, doc.analysis.take())
        };
        drop_off_thread(stale);
        if !debounce.is_zero() {
            tokio::time::sleep(debounce).await;
        }
        self.refresh(uri.clone(), version).await;
        let latest = self
            .lock()
            .docs
            .get(&uri)
            .is_some_and(|d| d.version == version);
        if latest {
            self.refresh_dependents(&uri).await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        // Importers go back to the file on disk.
        let dependents = self.dependents(&uri);
        self.lock().docs.remove(&uri);
        self.client
            .publish_diagnostics(uri.clone(), Vec::new(), None)
            .await;
        for (dependent, version) in dependents {
            self.reanalyse(dependent, version).await;
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        Ok(self
            .with_doc(&p.text_document.uri, "hover", |a, file, enc| {
                let h = ide::hover::hover(a, convert::offset(file, p.position, enc))?;
                Some(Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: h.markdown,
                    }),
                    range: Some(convert::range(file, h.span, enc)),
                })
            })
            .await)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        Ok(self
            .with_doc(&p.text_document.uri, "completion", |a, file, enc| {
                let c = ide::completion::completions(a, convert::offset(file, p.position, enc));
                let range = convert::range(file, c.replace, enc);
                let items = c
                    .items
                    .into_iter()
                    .map(|i| CompletionItem {
                        kind: Some(completion_kind(i.kind)),
                        detail: i.detail,
                        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                            range,
                            new_text: i.insert.unwrap_or_else(|| i.label.clone()),
                        })),
                        label: i.label,
                        ..CompletionItem::default()
                    })
                    .collect();
                Some(CompletionResponse::List(CompletionList {
                    is_incomplete: c.incomplete,
                    items,
                }))
            })
            .await)
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let p = params.text_document_position_params;
        Ok(self
            .with_doc(&p.text_document.uri, "signature help", |a, file, enc| {
                let s = ide::signature::signature_help(a, convert::offset(file, p.position, enc))?;
                // Parameter labels as [start, end) in UTF-16 units of the label.
                let units = |b: usize| s.label.get(..b).map(|t| t.encode_utf16().count() as u32);
                let parameters = s
                    .parameters
                    .iter()
                    .filter_map(|&(st, en)| {
                        Some(ParameterInformation {
                            label: ParameterLabel::LabelOffsets([units(st)?, units(en)?]),
                            documentation: None,
                        })
                    })
                    .collect();
                Some(SignatureHelp {
                    signatures: vec![SignatureInformation {
                        label: s.label,
                        documentation: s.doc.map(Documentation::String),
                        parameters: Some(parameters),
                        active_parameter: Some(s.active as u32),
                    }],
                    active_signature: Some(0),
                    active_parameter: Some(s.active as u32),
                })
            })
            .await)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let uri = p.text_document.uri.clone();
        Ok(self
            .with_doc(&uri, "definition", |a, file, enc| {
                let span = ide::navigation::definition(a, convert::offset(file, p.position, enc))?;
                let loc = convert::location(a, &uri, span, enc)?;
                Some(GotoDefinitionResponse::Scalar(loc))
            })
            .await)
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri.clone();
        let decl = params.context.include_declaration;
        Ok(self
            .with_doc(&uri, "references", |a, file, enc| {
                let spans =
                    ide::navigation::references(a, convert::offset(file, p.position, enc), decl);
                Some(
                    spans
                        .into_iter()
                        .filter_map(|s| convert::location(a, &uri, s, enc))
                        .collect(),
                )
            })
            .await)
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let p = params.text_document_position_params;
        Ok(self
            .with_doc(&p.text_document.uri, "highlight", |a, file, enc| {
                let occs = ide::navigation::highlights(a, convert::offset(file, p.position, enc));
                Some(
                    occs.into_iter()
                        .map(|o| DocumentHighlight {
                            range: convert::range(file, o.span, enc),
                            kind: Some(if o.def {
                                DocumentHighlightKind::WRITE
                            } else {
                                DocumentHighlightKind::READ
                            }),
                        })
                        .collect(),
                )
            })
            .await)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        Ok(self
            .with_doc(&params.text_document.uri, "symbols", |a, file, enc| {
                let syms = ide::symbols::document_symbols(a);
                Some(DocumentSymbolResponse::Nested(
                    syms.iter().map(|s| document_symbol(file, s, enc)).collect(),
                ))
            })
            .await)
    }

    #[allow(deprecated)]
    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let query = params.query.to_ascii_lowercase();
        let uris: Vec<Uri> = self.lock().docs.keys().cloned().collect();
        let mut out = Vec::new();
        for uri in uris {
            let found = self
                .with_doc(&uri, "workspace symbols", |a, file, enc| {
                    let mut v = Vec::new();
                    for s in ide::symbols::document_symbols(a) {
                        if s.kind == ide::symbols::SymbolKind::Import
                            || !s.name.to_ascii_lowercase().contains(&query)
                        {
                            continue;
                        }
                        v.push(SymbolInformation {
                            name: s.name.clone(),
                            kind: symbol_kind(s.kind),
                            tags: None,
                            deprecated: None,
                            location: Location::new(
                                uri.clone(),
                                convert::range(file, s.selection, enc),
                            ),
                            container_name: None,
                        });
                    }
                    Some(v)
                })
                .await;
            out.extend(found.unwrap_or_default());
        }
        Ok(Some(WorkspaceSymbolResponse::Flat(out)))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        Ok(self
            .with_doc(&params.text_document.uri, "folding", |a, _, _| {
                Some(
                    ide::symbols::folding_ranges(a)
                        .into_iter()
                        .map(|f| FoldingRange {
                            start_line: f.start_line,
                            end_line: f.end_line,
                            kind: Some(match f.kind {
                                ide::symbols::FoldKind::Comment => FoldingRangeKind::Comment,
                                ide::symbols::FoldKind::Imports => FoldingRangeKind::Imports,
                                ide::symbols::FoldKind::Region => FoldingRangeKind::Region,
                            }),
                            ..FoldingRange::default()
                        })
                        .collect(),
                )
            })
            .await)
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        Ok(self
            .with_doc(
                &params.text_document.uri,
                "semantic tokens",
                |a, file, enc| {
                    let mut data = Vec::new();
                    let (mut line, mut col) = (0u32, 0u32);
                    for t in ide::tokens::semantic_tokens(a) {
                        let start = convert::position(file, t.span.start as usize, enc);
                        let end = convert::position(file, t.span.end as usize, enc);
                        if end.line != start.line || end.character <= start.character {
                            continue;
                        }
                        let delta_line = start.line - line;
                        let delta_start = if delta_line == 0 {
                            start.character - col
                        } else {
                            start.character
                        };
                        data.push(SemanticToken {
                            delta_line,
                            delta_start,
                            length: end.character - start.character,
                            token_type: t.ty.index(),
                            token_modifiers_bitset: t.modifiers,
                        });
                        line = start.line;
                        col = start.character;
                    }
                    Some(SemanticTokensResult::Tokens(SemanticTokens {
                        result_id: None,
                        data,
                    }))
                },
            )
            .await)
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        let text = match self.lock().docs.get(&uri) {
            Some(d) => d.text.clone(),
            None => return Ok(None),
        };
        let enc = self.encoding();
        let input = text.clone();
        let result = tokio::task::spawn_blocking(move || {
            guarded("formatting", || Some(moat::fmt::format(&input)))
        })
        .await
        .ok()
        .flatten();
        match result {
            Some(Ok(out)) if out == text => Ok(Some(Vec::new())),
            Some(Ok(out)) => {
                let file = moat::source::SourceFile::new("", moat::source::Origin::Memory, text);
                let end = convert::position(&file, file.text.len(), enc);
                Ok(Some(vec![TextEdit {
                    range: Range::new(Position::new(0, 0), end),
                    new_text: out,
                }]))
            }
            Some(Err(moat::fmt::FormatError::Internal(m))) => {
                self.client
                    .log_message(MessageType::ERROR, format!("moat fmt: {m}"))
                    .await;
                Ok(None)
            }
            // Syntax errors are already shown as diagnostics.
            _ => Ok(None),
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        Ok(self
            .with_doc(&uri, "code actions", |a, file, enc| {
                let start = convert::offset(file, params.range.start, enc);
                let end = convert::offset(file, params.range.end, enc);
                let root = ide::root_file(a);
                let actions = ide::actions::code_actions(a, start, end)
                    .into_iter()
                    .map(|c| {
                        let edits = c
                            .edits
                            .iter()
                            .map(|e| TextEdit {
                                range: convert::range(file, e.span, enc),
                                new_text: e.new_text.clone(),
                            })
                            .collect();
                        let diagnostics = c.fixes.as_ref().map(|d| {
                            ide::diagnostics::for_file(a, root)
                                .into_iter()
                                .filter(|x| x.span == d.span() && x.code == d.code.as_str())
                                .map(|x| convert::diagnostic(a, &uri, &x, enc))
                                .collect::<Vec<_>>()
                        });
                        CodeActionOrCommand::CodeAction(CodeAction {
                            title: c.title,
                            kind: Some(CodeActionKind::QUICKFIX),
                            diagnostics,
                            edit: Some(WorkspaceEdit {
                                changes: Some(HashMap::from([(uri.clone(), edits)])),
                                ..WorkspaceEdit::default()
                            }),
                            is_preferred: Some(c.preferred),
                            ..CodeAction::default()
                        })
                    })
                    .collect();
                Some(actions)
            })
            .await)
    }
}
