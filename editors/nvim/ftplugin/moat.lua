vim.bo.commentstring = "// %s"
vim.bo.comments = "s1:/*,mb:*,ex:*/,:///,://"
vim.bo.shiftwidth = 4
vim.bo.expandtab = true

-- Tree-sitter highlighting when the moat parser is installed (parser/moat.so
-- on 'runtimepath', see editors/README.md); without it, or before Neovim 0.8,
-- syntax/moat.vim stays in charge.
if vim.treesitter.start then
  pcall(vim.treesitter.start)
end
