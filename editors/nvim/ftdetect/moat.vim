" For Neovim older than 0.8 (no vim.filetype.add) and Vim.
autocmd BufRead,BufNewFile *.moat setfiletype moat
