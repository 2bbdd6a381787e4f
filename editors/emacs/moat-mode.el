;;; moat-mode.el --- Major mode for moat seccomp policies  -*- lexical-binding: t; -*-

;; Keywords: languages
;; Package-Requires: ((emacs "27.1"))

;;; Commentary:

;; Syntax highlighting, comments and indentation for .moat files, and an
;; eglot entry for the moat language server (`moat lsp'):
;;
;;   (add-to-list 'load-path "/path/to/moat/editors/emacs")
;;   (require 'moat-mode)
;;   (add-hook 'moat-mode-hook #'eglot-ensure)

;;; Code:

(defgroup moat nil "Moat seccomp policies." :group 'languages)

(defcustom moat-indent-offset 4
  "Indentation of a block's body."
  :type 'integer :group 'moat)

(defcustom moat-server-command '("moat" "lsp")
  "Command that starts the moat language server."
  :type '(repeat string) :group 'moat)

(defconst moat-item-keywords '("use" "const" "group" "mixin" "profile" "test"))
(defconst moat-statement-keywords
  '("targets" "default" "bad_arch" "unknown" "flags" "include" "on"
    "if" "extends" "match" "as" "null" "in"))
(defconst moat-actions
  '("allow" "kill" "kill_thread" "trap" "errno" "notify" "trace" "log"))
(defconst moat-arches
  '("x86_64" "x32" "i386" "x86" "aarch64" "arm" "riscv64" "ppc64le" "s390x"))

(defconst moat-font-lock-keywords
  `((,(concat "^\\s-*" (regexp-opt moat-item-keywords 'words)) . font-lock-keyword-face)
    (,(concat "\\_<\\(profile\\|mixin\\|group\\|const\\)\\s-+\\([A-Za-z_][A-Za-z0-9_]*\\)")
     (2 font-lock-type-face))
    (,(regexp-opt moat-statement-keywords 'symbols) . font-lock-keyword-face)
    (,(regexp-opt moat-actions 'symbols) . font-lock-builtin-face)
    (,(regexp-opt moat-arches 'symbols) . font-lock-type-face)
    ("\\_<[A-Z][A-Z0-9_]*[A-Z0-9]\\_>" . font-lock-constant-face)
    ("\\_<\\(0x[0-9A-Fa-f_]+\\|0o[0-7_]+\\|0b[01_]+\\|[0-9][0-9_]*\\)\\_>" . font-lock-constant-face)))

(defvar moat-mode-syntax-table
  (let ((st (make-syntax-table)))
    (modify-syntax-entry ?_ "_" st)
    ;; `//' line comments and nestable `/* */' block comments.
    (modify-syntax-entry ?/ ". 124b" st)
    (modify-syntax-entry ?* ". 23n" st)
    (modify-syntax-entry ?\n "> b" st)
    (modify-syntax-entry ?\" "\"" st)
    st)
  "Syntax table for `moat-mode'.")

(defun moat-indent-line ()
  "Indent by the depth of open braces and brackets."
  (interactive)
  (let* ((depth (save-excursion (beginning-of-line) (car (syntax-ppss))))
         (closing (save-excursion (back-to-indentation) (looking-at "[]})]")))
         (col (* moat-indent-offset (max 0 (if closing (1- depth) depth)))))
    (if (<= (current-column) (current-indentation))
        (indent-line-to col)
      (save-excursion (indent-line-to col)))))

;;;###autoload
(define-derived-mode moat-mode prog-mode "moat"
  "Major mode for moat seccomp policies."
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local font-lock-defaults '(moat-font-lock-keywords))
  (setq-local indent-line-function #'moat-indent-line))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.moat\\'" . moat-mode))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs `(moat-mode . ,moat-server-command)))

(provide 'moat-mode)
;;; moat-mode.el ends here
