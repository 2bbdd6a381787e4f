;; Generated from editors/tree-sitter-moat/queries/highlights.scm with Helix's
;; scope names (tests/tests/tree_sitter.rs checks it is up to date; run the
;; test with MOAT_BLESS=1 to rewrite it).

;; Highlighting for moat, with the capture names tree-sitter's own
;; highlighter treats as standard, which Neovim, Helix and Emacs themes
;; understand too. Patterns do not overlap (names are told apart by
;; predicates, not by pattern order), because editors disagree on whether
;; the first or the last matching pattern wins.

;; Keywords. Every keyword of the compiler's list (syntax::ast) must appear
;; here: tests/tests/tree_sitter.rs checks it.

[
  "use"
  "as"
  "const"
  "group"
  "mixin"
  "profile"
  "test"
  "extends"
  "match"
] @keyword

[
  "targets"
  "default"
  "bad_arch"
  "unknown"
  "flags"
  "include"
  "on"
  "if"
  "in"
] @keyword

;; Actions: what the kernel does with the call.
[
  "kill"
  "kill_thread"
  "trap"
  "errno"
  "notify"
  "trace"
  "log"
  "allow"
] @keyword

(null) @constant.builtin

;; Literals and comments.

(integer) @constant.numeric.integer
(string) @string
(escape_sequence) @constant.character.escape
(line_comment) @comment
(block_comment) @comment
(doc_comment) @comment.line.documentation

;; Definitions.

(profile_declaration name: (identifier) @type)
(mixin_declaration name: (identifier) @type)
(group_declaration name: (identifier) @type)
(const_declaration name: (identifier) @constant)
(use_declaration alias: (identifier) @namespace)

;; References to profiles and mixins.

(profile_declaration base: (path (identifier) @type .))
(include_statement name: (path (identifier) @type .))
(test_declaration profile: (path (identifier) @type .))

;; Module segments: every segment of a path but the last, and the whole
;; path of a `use`.

(path (identifier) @namespace . "::")
(use_declaration path: (path (identifier) @namespace .))

;; Syscalls (and groups, which stand where syscalls do).

(rule syscall: (path (identifier) @function .))
(group_declaration member: (path (identifier) @function .))
(test_case syscall: (identifier) @function)

;; Architectures and filter flags: the compiler's fixed vocabularies.

(targets_statement arch: (identifier) @constant.builtin)
(on_block arch: (identifier) @constant.builtin)
(test_case arch: (identifier) @constant.builtin)
((match_arm arch: (identifier) @constant.builtin)
 (#not-eq? @constant.builtin "_"))
((match_arm arch: (identifier) @variable.builtin)
 (#eq? @variable.builtin "_"))
(match_arch scrutinee: (identifier) @variable.builtin)
(flags_statement flag: (identifier) @constant.builtin)

;; Names inside expressions: constants are written in capitals (O_RDONLY,
;; EPERM, a user's const), syscall arguments are not (flags, fd, arg0).

([
  (binary_expression (path (identifier) @constant .))
  (unary_expression (path (identifier) @constant .))
  (in_list (path (identifier) @constant .))
  (list (path (identifier) @constant .))
  (in_range (path (identifier) @constant .))
  (parenthesized_expression (path (identifier) @constant .))
  (match_arm (path (identifier) @constant .))
  (action (path (identifier) @constant .))
  (arguments (path (identifier) @constant .))
  (named_argument (path (identifier) @constant .))
  (rule condition: (path (identifier) @constant .))
  (const_declaration value: (path (identifier) @constant .))
 ]
 (#match? @constant "^[A-Z][A-Z0-9_]*$"))

([
  (binary_expression (path (identifier) @variable.parameter .))
  (unary_expression (path (identifier) @variable.parameter .))
  (in_list (path (identifier) @variable.parameter .))
  (list (path (identifier) @variable.parameter .))
  (in_range (path (identifier) @variable.parameter .))
  (parenthesized_expression (path (identifier) @variable.parameter .))
  (match_arm (path (identifier) @variable.parameter .))
  (action (path (identifier) @variable.parameter .))
  (arguments (path (identifier) @variable.parameter .))
  (named_argument (path (identifier) @variable.parameter .))
  (rule condition: (path (identifier) @variable.parameter .))
  (const_declaration value: (path (identifier) @variable.parameter .))
 ]
 (#not-match? @variable.parameter "^[A-Z][A-Z0-9_]*$"))

(named_argument name: (identifier) @variable.parameter)

;; Operators and punctuation.

[
  "||" "&&" "==" "!=" "<" "<=" ">" ">=" "|" "^" "&" "<<" ">>" "+" "-" "*"
  "!" "~" ".." "..=" "=" "=>"
] @operator

["(" ")" "[" "]" "{" "}"] @punctuation.bracket

["," ";" ":" "::"] @punctuation.delimiter
