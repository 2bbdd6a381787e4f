" Syntax for moat seccomp policies. The language server's semantic tokens
" refine this (syscalls, arguments, constants and actions each get a
" colour); this file is the fallback without a server.
if exists("b:current_syntax")
  finish
endif

syn keyword moatItem use const group mixin profile test
syn keyword moatStatement targets default bad_arch unknown flags include on
syn keyword moatKeyword if extends match as in
syn keyword moatNull null
syn keyword moatAction allow kill kill_thread trap errno notify trace log
syn keyword moatArch x86_64 x32 i386 x86 aarch64 arm riscv64 ppc64le s390x
syn match moatConstant "\<[A-Z][A-Z0-9_]*[A-Z0-9]\>"
syn match moatNumber "\<0x[0-9A-Fa-f_]\+\>\|\<0o[0-7_]\+\>\|\<0b[01_]\+\>\|\<[0-9][0-9_]*\>"
syn region moatString start=+"+ skip=+\\.+ end=+"+ oneline
syn keyword moatTodo contained TODO FIXME XXX
syn match moatComment "//.*$" contains=moatTodo
syn match moatDoc "///.*$" contains=moatTodo
syn region moatBlockComment start="/\*" end="\*/" contains=moatBlockComment,moatTodo

hi def link moatItem Keyword
hi def link moatStatement Statement
hi def link moatKeyword Keyword
hi def link moatNull Constant
hi def link moatAction Function
hi def link moatArch Type
hi def link moatConstant Constant
hi def link moatNumber Number
hi def link moatString String
hi def link moatComment Comment
hi def link moatDoc SpecialComment
hi def link moatBlockComment Comment
hi def link moatTodo Todo

let b:current_syntax = "moat"
