;;; moat-ts-mode.el --- Tree-sitter mode for moat seccomp policies  -*- lexical-binding: t; -*-

;; Keywords: languages
;; Package-Requires: ((emacs "29.1"))

;;; Commentary:

;; `moat-mode' with highlighting from the moat tree-sitter grammar
;; (editors/tree-sitter-moat).  Install the grammar once:
;;
;;   (add-to-list 'treesit-language-source-alist
;;                '(moat "/path/to/moat" nil "editors/tree-sitter-moat/src"))
;;   M-x treesit-install-language-grammar RET moat RET
;;
;; then:
;;
;;   (add-to-list 'load-path "/path/to/moat/editors/emacs")
;;   (require 'moat-ts-mode)
;;   (add-to-list 'auto-mode-alist '("\\.moat\\'" . moat-ts-mode))
;;
;; Without the grammar it is plain `moat-mode'.  The queries are strings
;; in tree-sitter's own syntax, so tests/tests/tree_sitter.rs compiles each
;; one against the grammar and checks it highlights every keyword.

;;; Code:

(require 'treesit)
(require 'moat-mode)

(defvar moat-ts-font-lock-rules
  (treesit-font-lock-rules
   :language 'moat :feature 'comment
   "[(line_comment) (block_comment)] @font-lock-comment-face
    (doc_comment) @font-lock-doc-face"

   :language 'moat :feature 'keyword
   "[\"use\" \"as\" \"const\" \"group\" \"mixin\" \"profile\" \"test\" \"extends\" \"match\"
     \"targets\" \"default\" \"bad_arch\" \"unknown\" \"flags\" \"include\" \"on\" \"if\" \"in\"]
    @font-lock-keyword-face"

   :language 'moat :feature 'builtin
   "[\"kill\" \"kill_thread\" \"trap\" \"errno\" \"notify\" \"trace\" \"log\" \"allow\"]
    @font-lock-builtin-face
    (null) @font-lock-constant-face"

   :language 'moat :feature 'string
   "(string) @font-lock-string-face
    (escape_sequence) @font-lock-escape-face"

   :language 'moat :feature 'number
   "(integer) @font-lock-number-face"

   :language 'moat :feature 'definition
   "(profile_declaration name: (identifier) @font-lock-type-face)
    (mixin_declaration name: (identifier) @font-lock-type-face)
    (group_declaration name: (identifier) @font-lock-type-face)
    (const_declaration name: (identifier) @font-lock-constant-face)"

   :language 'moat :feature 'function
   "(rule syscall: (path (identifier) @font-lock-function-name-face .))
    (group_declaration member: (path (identifier) @font-lock-function-name-face .))
    (test_case syscall: (identifier) @font-lock-function-name-face)"

   :language 'moat :feature 'constant
   "(targets_statement arch: (identifier) @font-lock-builtin-face)
    (on_block arch: (identifier) @font-lock-builtin-face)
    (test_case arch: (identifier) @font-lock-builtin-face)
    (flags_statement flag: (identifier) @font-lock-builtin-face)
    (named_argument name: (identifier) @font-lock-variable-name-face)"

   :language 'moat :feature 'operator
   "[\"||\" \"&&\" \"==\" \"!=\" \"<\" \"<=\" \">\" \">=\" \"|\" \"^\" \"&\" \"<<\" \">>\"
     \"+\" \"-\" \"*\" \"!\" \"~\" \"..\" \"..=\" \"=\" \"=>\"] @font-lock-operator-face")
  "Tree-sitter highlighting for `moat-ts-mode'.")

;;;###autoload
(define-derived-mode moat-ts-mode moat-mode "moat[ts]"
  "Major mode for moat policies, highlighted by tree-sitter."
  (when (treesit-ready-p 'moat)
    (treesit-parser-create 'moat)
    (setq-local treesit-font-lock-settings moat-ts-font-lock-rules)
    (setq-local treesit-font-lock-feature-list
                '((comment keyword builtin)
                  (string number definition function)
                  (constant operator)))
    (treesit-major-mode-setup)))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs `(moat-ts-mode . ,moat-server-command)))

(provide 'moat-ts-mode)
;;; moat-ts-mode.el ends here
