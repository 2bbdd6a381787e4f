//! Loading: the root file, the stdlib modules and files it imports, each
//! parsed once, with import cycles reported along the path that closes them.

use super::{Binding, BindingTarget, Cx, DefId, Module, ModuleId};
use crate::diagnostics::{codes, suggest, Diagnostic};
use crate::source::{Origin, SourceFile, Span};
use crate::syntax::{self, ast};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-I` directories, searched after the importing file's own directory.
    pub include_dirs: Vec<PathBuf>,
    /// Also search the directories in `MOAT_PATH`.
    pub use_env_path: bool,
    /// Texts that stand in for files on disk, by canonical path: an
    /// editor's unsaved buffers, so that a file importing one sees what
    /// the user sees.
    pub overlay: std::sync::Arc<HashMap<PathBuf, String>>,
}

impl Options {
    pub fn from_env() -> Options {
        Options {
            use_env_path: true,
            ..Options::default()
        }
    }

    fn search_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = self.include_dirs.clone();
        if self.use_env_path {
            if let Some(p) = std::env::var_os("MOAT_PATH") {
                dirs.extend(std::env::split_paths(&p));
            }
        }
        dirs
    }
}

impl Cx {
    pub(super) fn load_root(&mut self, name: &str, path: Option<&Path>, text: &str) -> ModuleId {
        let origin = match path {
            Some(p) => Origin::Path(canonical(p)),
            None => Origin::Memory,
        };
        let mut stack = Vec::new();
        self.load_module_with_stack(name.to_string(), origin, text.to_string(), None, &mut stack)
    }

    /// Parses a module and, depth first, everything it imports. `stack`
    /// holds the modules being loaded, for cycle reports.
    fn load_module(
        &mut self,
        name: String,
        origin: Origin,
        text: String,
        stack: &mut Vec<(ModuleId, Option<Span>)>,
    ) -> ModuleId {
        let file = self
            .sources
            .add(SourceFile::new(name.clone(), origin, text));
        let parsed = syntax::parse(&self.sources.get(file).text, file);
        self.diags.extend(parsed.diagnostics);
        let id = ModuleId(self.modules.len() as u32);
        let mut items = HashMap::new();
        for (i, item) in parsed.file.items.iter().enumerate() {
            let Some(n) = item.name() else { continue };
            let ours = (kind_word(&item.kind), n.name.clone());
            if let Some(&prev) = items.get(&n.name) {
                let prev_item: &ast::Item = &parsed.file.items[prev as usize];
                let prev_name = prev_item.name().expect("named");
                if kind_word(&prev_item.kind) == ours.0 {
                    self.report(
                        Diagnostic::new(
                            codes::DUPLICATE_ITEM,
                            n.span,
                            format!("{} `{}` is defined twice", ours.0, n.name),
                        )
                        .with_label("second definition")
                        .with_secondary(prev_name.span, "first defined here")
                        .with_help("rename one of them"),
                    );
                } else {
                    self.report(
                        Diagnostic::new(
                            codes::DUPLICATE_ITEM,
                            n.span,
                            format!(
                                "`{}` is already defined as a {}",
                                n.name,
                                kind_word(&prev_item.kind)
                            ),
                        )
                        .with_label(format!("this {} has the same name", ours.0))
                        .with_secondary(prev_name.span, "first defined here")
                        .with_help("items of one file share one namespace; rename one of them"),
                    );
                }
                continue;
            }
            items.insert(n.name.clone(), i as u32);
        }
        self.modules.push(Module {
            id,
            file,
            name,
            ast: std::sync::Arc::new(parsed.file),
            items,
            imports: HashMap::new(),
        });
        let uses: Vec<(usize, ast::Use, Span)> = self
            .module(id)
            .ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match &it.kind {
                ast::ItemKind::Use(u) => Some((i, u.clone(), it.span)),
                _ => None,
            })
            .collect();
        for (_, u, span) in uses {
            self.load_use(id, &u, span, stack);
        }
        id
    }

    fn load_use(
        &mut self,
        from: ModuleId,
        u: &ast::Use,
        item_span: Span,
        stack: &mut Vec<(ModuleId, Option<Span>)>,
    ) {
        match u {
            ast::Use::Module { path, names } => {
                let segs: Vec<&str> = path.segments.iter().map(|s| s.name.as_str()).collect();
                if segs.first() != Some(&"std") || segs.len() < 2 {
                    // `use std::groups::mount`: a single item.
                    let help = if segs.len() == 1 {
                        Some("modules of the standard library are reached as `std::NAME`; files as `use \"./file.moat\" as name`".to_string())
                    } else {
                        None
                    };
                    self.report(
                        Diagnostic::new(
                            codes::UNKNOWN_MODULE,
                            path.span,
                            format!("there is no module `{}`", path.text()),
                        )
                        .with_label("unknown module")
                        .with_help_opt(help.or_else(|| Some(stdlib_list_help()))),
                    );
                    return;
                }
                let module_name = segs[1];
                let (module_path_len, single_item) = if segs.len() == 3 && names.is_none() {
                    (2, Some(&path.segments[2]))
                } else if segs.len() == 2 {
                    (2, None)
                } else {
                    self.report(
                        Diagnostic::new(
                            codes::UNKNOWN_MODULE,
                            path.span,
                            format!("there is no module `{}`", path.text()),
                        )
                        .with_label("unknown module")
                        .with_help(stdlib_list_help()),
                    );
                    return;
                };
                let _ = module_path_len;
                let Some(target) = self.load_stdlib(module_name, path.segments[1].span, stack)
                else {
                    return;
                };
                match (names, single_item) {
                    (Some(names), _) => {
                        for n in names {
                            self.bind_item(from, target, n);
                        }
                    }
                    (None, Some(item)) => self.bind_item(from, target, item),
                    (None, None) => {
                        let alias = path.last();
                        self.bind(from, &alias.name, BindingTarget::Module(target), alias.span);
                    }
                }
            }
            ast::Use::File {
                path,
                path_span,
                alias,
            } => {
                // A literal with a bad escape was reported by the lexer; its
                // value means nothing.
                let literal = self
                    .sources
                    .get(self.module(from).file)
                    .text
                    .get(path_span.range())
                    .unwrap_or("\"\"");
                if literal.len() < 2 || crate::syntax::lexer::string_value(literal).is_err() {
                    return;
                }
                let Some(found) = self.find_file(from, path) else {
                    let dirs = self.options.search_dirs();
                    let mut d = Diagnostic::new(
                        codes::IMPORT_FAILED,
                        *path_span,
                        format!("cannot find `{path}`"),
                    )
                    .with_label("no such file");
                    d = d.with_help(if dirs.is_empty() {
                        "paths are relative to the importing file; add directories with `-I DIR` or `MOAT_PATH`".to_string()
                    } else {
                        format!(
                            "searched next to the importing file and in {}",
                            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                        )
                    });
                    self.report(d);
                    return;
                };
                let origin = Origin::Path(found.clone());
                let target = if let Some(existing) = self.module_for_origin(&origin) {
                    if let Some(pos) = stack.iter().position(|(m, _)| *m == existing) {
                        self.report_cycle(existing, &stack[pos..], *path_span, from);
                        return;
                    }
                    existing
                } else {
                    let text = match self.options.overlay.get(&found) {
                        Some(t) => Ok(t.clone()),
                        None => std::fs::read_to_string(&found),
                    };
                    let text = match text {
                        Ok(t) => t,
                        Err(e) => {
                            self.report(
                                Diagnostic::new(
                                    codes::IMPORT_FAILED,
                                    *path_span,
                                    format!("cannot read `{path}`: {e}"),
                                )
                                .with_label("imported here")
                                .with_help(
                                    "check the file's permissions and that it is UTF-8 text",
                                ),
                            );
                            return;
                        }
                    };
                    if stack.len() >= super::MAX_CHAIN {
                        self.report_too_deep(*path_span, "imports");
                        return;
                    }
                    self.load_module_with_stack(path.clone(), origin, text, Some(*path_span), stack)
                };
                let _ = item_span;
                self.bind(from, &alias.name, BindingTarget::Module(target), alias.span);
            }
        }
    }

    fn load_module_with_stack(
        &mut self,
        name: String,
        origin: Origin,
        text: String,
        import_span: Option<Span>,
        stack: &mut Vec<(ModuleId, Option<Span>)>,
    ) -> ModuleId {
        // Reserve the id the module will get so the stack can name it while
        // its imports load.
        let id = ModuleId(self.modules.len() as u32);
        stack.push((id, import_span));
        let got = self.load_module(name, origin, text, stack);
        stack.pop();
        debug_assert_eq!(got, id);
        got
    }

    fn report_cycle(
        &mut self,
        target: ModuleId,
        chain: &[(ModuleId, Option<Span>)],
        at: Span,
        from: ModuleId,
    ) {
        // chain[0] is `target`; each later entry was imported by the one
        // before it at the span it carries; `from` imports `target` at `at`.
        let mut names: Vec<String> = chain
            .iter()
            .map(|(m, _)| self.module(*m).name.clone())
            .collect();
        names.push(self.module(target).name.clone());
        let message = if chain.len() <= 2 {
            if from == target {
                format!("`{}` imports itself", self.module(from).name)
            } else {
                format!(
                    "`{}` and `{}` import each other",
                    self.module(target).name,
                    self.module(from).name
                )
            }
        } else {
            format!(
                "`{}` imports a file that imports it",
                self.module(target).name
            )
        };
        let mut d = Diagnostic::new(codes::IMPORT_CYCLE, at, message)
            .with_label(format!("imports `{}` back", self.module(target).name));
        for (m, span) in &chain[1..] {
            if let Some(span) = span {
                d = d.with_secondary(*span, format!("imports `{}`", self.module(*m).name));
            }
        }
        d = d
            .with_note(format!("cycle: {}", names.join(" → ")))
            .with_help("move what the files share into another file that imports neither");
        self.report(d);
    }

    fn load_stdlib(
        &mut self,
        name: &str,
        span: Span,
        stack: &mut Vec<(ModuleId, Option<Span>)>,
    ) -> Option<ModuleId> {
        let origin = Origin::Stdlib(name.to_string());
        if let Some(existing) = self.module_for_origin(&origin) {
            return Some(existing);
        }
        let Some(text) = crate::stdlib::source(name) else {
            let d = Diagnostic::new(
                codes::UNKNOWN_MODULE,
                span,
                format!("the standard library has no module `{name}`"),
            )
            .with_label("unknown module");
            let d = match suggest(name, crate::stdlib::names()) {
                Some(s) => d.with_help(format!("did you mean `std::{s}`?")),
                None => d.with_help(stdlib_list_help()),
            };
            self.report(d);
            return None;
        };
        Some(self.load_module_with_stack(
            format!("std::{name}"),
            origin,
            text.to_string(),
            Some(span),
            stack,
        ))
    }

    fn module_for_origin(&self, origin: &Origin) -> Option<ModuleId> {
        let file = self.sources.find(origin)?;
        self.modules.iter().find(|m| m.file == file).map(|m| m.id)
    }

    fn find_file(&self, from: ModuleId, path: &str) -> Option<PathBuf> {
        let p = Path::new(path);
        let exists = |c: &Path| c.is_file() || self.options.overlay.contains_key(c);
        if p.is_absolute() {
            return exists(p).then(|| canonical(p));
        }
        let base = match &self.sources.get(self.module(from).file).origin {
            Origin::Path(f) => f.parent().map(Path::to_path_buf),
            _ => std::env::current_dir().ok(),
        };
        let mut dirs: Vec<PathBuf> = base.into_iter().collect();
        dirs.extend(self.options.search_dirs());
        dirs.into_iter()
            .map(|d| d.join(p))
            .find(|c| exists(c))
            .map(|c| canonical(&c))
    }

    fn bind_item(&mut self, from: ModuleId, target: ModuleId, name: &ast::Ident) {
        match self.module(target).items.get(&name.name) {
            Some(&item) => self.bind(
                from,
                &name.name,
                BindingTarget::Item(DefId {
                    module: target,
                    item,
                }),
                name.span,
            ),
            None => {
                let module = self.module(target);
                let cands: Vec<&str> = module.items.keys().map(String::as_str).collect();
                let d = Diagnostic::new(
                    codes::UNKNOWN_IMPORT_NAME,
                    name.span,
                    format!("`{}` has no item `{}`", module.name, name.name),
                )
                .with_label("not found in the module");
                let d = match suggest(&name.name, cands) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d,
                };
                self.report(d);
            }
        }
    }

    fn bind(&mut self, from: ModuleId, name: &str, target: BindingTarget, span: Span) {
        let module = &mut self.modules[from.0 as usize];
        if let Some(prev) = module.imports.get(name) {
            let prev_span = prev.span;
            self.report(
                Diagnostic::new(
                    codes::DUPLICATE_ITEM,
                    span,
                    format!("`{name}` is imported twice"),
                )
                .with_label("second import")
                .with_secondary(prev_span, "first imported here")
                .with_help("remove one import, or import a file under another name with `as`"),
            );
            return;
        }
        if let Some(&item) = module.items.get(name) {
            // An import and an item of the file with one name: the item
            // would silently win every lookup.
            let item_span = module.ast.items[item as usize]
                .name()
                .map_or(span, |n| n.span);
            let (later, earlier) = if item_span.start > span.start {
                (item_span, span)
            } else {
                (span, item_span)
            };
            self.report(
                Diagnostic::new(
                    codes::DUPLICATE_ITEM,
                    later,
                    format!("`{name}` is both imported and defined in this file"),
                )
                .with_label(if later == span {
                    "imported here"
                } else {
                    "defined here"
                })
                .with_secondary(
                    earlier,
                    if later == span {
                        "defined here"
                    } else {
                        "imported here"
                    },
                )
                .with_help("rename the item, or reach the imported one through its module (`module::name`)"),
            );
            return;
        }
        module
            .imports
            .insert(name.to_string(), Binding { target, span });
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn stdlib_list_help() -> String {
    format!(
        "the standard library has {}",
        crate::stdlib::names()
            .map(|n| format!("`std::{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub(crate) fn kind_word(kind: &ast::ItemKind) -> &'static str {
    match kind {
        ast::ItemKind::Use(_) => "import",
        ast::ItemKind::Const(_) => "constant",
        ast::ItemKind::Group(_) => "group",
        ast::ItemKind::Mixin(_) => "mixin",
        ast::ItemKind::Profile(_) => "profile",
        ast::ItemKind::Test(_) => "test",
        ast::ItemKind::Error => "item",
    }
}

impl Cx {
    /// Loads a stdlib module reached by an absolute `std::…` path.
    pub(super) fn load_stdlib_quiet(&mut self, name: &str, text: &str) -> ModuleId {
        let mut stack = Vec::new();
        self.load_module_with_stack(
            format!("std::{name}"),
            Origin::Stdlib(name.to_string()),
            text.to_string(),
            None,
            &mut stack,
        )
    }
}
