//! Source files and positions. Spans are byte ranges tagged with the file;
//! line/column conversion (including UTF-16 for the language server) lives
//! here so no other stage needs to think about encodings.

use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }
    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }
}

/// Where a file came from: the standard library is embedded in the compiler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Path(PathBuf),
    Stdlib(String),
    /// Text handed over by a caller (an editor buffer, a test, a build script).
    Memory,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub origin: Origin,
    pub text: String,
    line_starts: Vec<usize>,
}

/// A 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, origin: Origin, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            origin,
            text,
            line_starts,
        }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        }
    }

    /// Line and column with the column counted in bytes.
    pub fn line_col_utf8(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let line = self.line_of(offset);
        LineCol {
            line: line as u32,
            col: (offset - self.line_starts[line]) as u32,
        }
    }

    /// Line and column with the column counted in UTF-16 code units (LSP's default).
    pub fn line_col_utf16(&self, offset: usize) -> LineCol {
        let offset = self.clamp(offset);
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let col = self.text[start..offset].encode_utf16().count();
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// Byte offset of a line/column; `utf16` says how the column counts.
    /// Positions past the end of a line clamp to its end.
    pub fn offset_of(&self, pos: LineCol, utf16: bool) -> usize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return self.text.len();
        }
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        let line_text = &self.text[start..end];
        let mut units = 0u32;
        for (i, ch) in line_text.char_indices() {
            if units >= pos.col {
                return start + i;
            }
            units += if utf16 {
                ch.len_utf16() as u32
            } else {
                ch.len_utf8() as u32
            };
        }
        end
    }

    fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Every file one analysis has seen, addressed by `FileId`.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
    pub fn find(&self, origin: &Origin) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| &f.origin == origin)
            .map(|i| FileId(i as u32))
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let f = SourceFile::new("t", Origin::Memory, "ab\n// é😀x\nlast");
        let x = f.text.find('x').unwrap();
        assert_eq!(f.line_col_utf8(x), LineCol { line: 1, col: 9 });
        assert_eq!(f.line_col_utf16(x), LineCol { line: 1, col: 6 });
        assert_eq!(f.offset_of(LineCol { line: 1, col: 6 }, true), x);
        assert_eq!(f.offset_of(LineCol { line: 1, col: 9 }, false), x);
        assert_eq!(
            f.offset_of(LineCol { line: 9, col: 0 }, false),
            f.text.len()
        );
    }
}
