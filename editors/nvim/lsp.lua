-- The moat language server for Neovim. Put editors/nvim on 'runtimepath'
-- (filetype, syntax, ftplugin), then use ONE of the two blocks below.

-- (a) Neovim 0.11+: built-in configuration.
if vim.lsp.config then
  vim.lsp.config("moat", {
    cmd = { "moat", "lsp" },
    filetypes = { "moat" },
    root_markers = { ".git" },
  })
  vim.lsp.enable("moat")
  return
end

-- (b) Neovim 0.8–0.10 (0.7: see editors/README.md): start the server for each moat buffer.
vim.api.nvim_create_autocmd("FileType", {
  pattern = "moat",
  callback = function(args)
    vim.lsp.start({
      name = "moat",
      cmd = { "moat", "lsp" },
      root_dir = vim.fs.dirname(vim.fs.find({ ".git" }, { upward = true, path = args.file })[1])
        or vim.fs.dirname(args.file),
    })
  end,
})

-- With nvim-lspconfig instead, register it once:
--   local configs = require("lspconfig.configs")
--   configs.moat = { default_config = {
--     cmd = { "moat", "lsp" }, filetypes = { "moat" },
--     root_dir = require("lspconfig.util").root_pattern(".git"),
--   } }
--   require("lspconfig").moat.setup({})
