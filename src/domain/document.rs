//! Offering documents: their kinds and audiences, the names they may carry,
//! and what their bytes must be. The type of a file is read from its bytes
//! (never from its name or the request's Content-Type), and a file is refused
//! if it is anything else as well: an HTML page or a script hidden in a PDF or
//! an image (a polyglot that a browser could run), or bytes after its end.

use crate::i18n::Text;
use std::fmt;

/// Why a document, a name or a file was refused: a stable code and a
/// message for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Refused {
    pub code: &'static str,
    pub detail: Text,
}

impl Refused {
    fn new(code: &'static str, detail: impl Into<Text>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

/// What a document is, as investors see it listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    OfferingMemorandum,
    FinancialStatements,
    PitchDeck,
    SubscriptionAgreement,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        Self::OfferingMemorandum,
        Self::FinancialStatements,
        Self::PitchDeck,
        Self::SubscriptionAgreement,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OfferingMemorandum => "offering_memorandum",
            Self::FinancialStatements => "financial_statements",
            Self::PitchDeck => "pitch_deck",
            Self::SubscriptionAgreement => "subscription_agreement",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Refused> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Refused::new(
                    "invalid_document_kind",
                    Text::new("problem-invalid_document_kind"),
                )
            })
    }
}

/// Who may read a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone who can see the offering, at a plain URL.
    Public,
    /// Signed-in investors whose identity is verified, the offering's sponsor
    /// and operators, through short-lived signed links only.
    Investors,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Investors => "investors",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Refused> {
        match s {
            "public" => Ok(Self::Public),
            "investors" => Ok(Self::Investors),
            _ => Err(Refused::new(
                "invalid_visibility",
                Text::new("problem-invalid_visibility"),
            )),
        }
    }
}

/// The file types a document may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg"],
        }
    }

    /// What the first bytes say the file is.
    fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-1.") || head.starts_with(b"%PDF-2.") {
            Some(Self::Pdf)
        } else if head.starts_with(PNG_SIGNATURE) {
            Some(Self::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    /// Whether the file ends where this type ends: nothing appended.
    fn ends_properly(self, tail: &[u8]) -> bool {
        match self {
            // The end-of-file marker, then at most an end of line.
            Self::Pdf => {
                let trimmed = trim_end_whitespace(tail);
                trimmed.ends_with(b"%%EOF")
            }
            Self::Png => tail.ends_with(PNG_IEND),
            Self::Jpeg => tail.ends_with(&[0xFF, 0xD9]),
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.content_type())
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// The IEND chunk: length 0, type, CRC.
const PNG_IEND: &[u8] = b"\0\0\0\0IEND\xAE\x42\x60\x82";

fn trim_end_whitespace(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace() && *b != 0)
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Markers of content a browser or a PDF reader would run, matched without
/// regard to ASCII case. Six bytes or more each: in random bytes (what a
/// PDF's or an image's compressed data looks like) the odds of a false
/// match are about 1 in 100,000 for a 50 MB file (`<embed` and `<html`
/// the likeliest), far less for a typical document of a few MB.
const ACTIVE_MARKERS: [&[u8]; 9] = [
    b"<script",
    b"<html>",
    b"<html ",
    b"<!doctype",
    b"<iframe",
    b"<object",
    b"<embed",
    b"/javascript",
    b"/launch",
];
const LONGEST_MARKER: usize = 11;
/// How many of the last bytes are kept to check how the file ends.
const TAIL: usize = 1024;
/// How many of the first bytes decide the type.
const HEAD: usize = 8;

/// A file name as given: one line of printable text, no path, an extension
/// that matches its type (checked once the type is known).
pub fn tidy_file_name(name: &str) -> Result<String, Refused> {
    let name = name.trim();
    let bad = |detail: Text| Refused::new("invalid_file_name", detail);
    if name.is_empty() {
        return Err(bad(Text::new("problem-invalid_file_name-empty")));
    }
    if name.chars().count() > 200 {
        return Err(bad(Text::new("problem-invalid_file_name-too_long")));
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '/' | '\\' | '"'))
    {
        return Err(bad(Text::new("problem-invalid_file_name-characters")));
    }
    if name.starts_with('.') {
        return Err(bad(Text::new("problem-invalid_file_name-dot")));
    }
    Ok(name.to_string())
}

/// Reads a file's bytes as they arrive and decides what it is: its type
/// from the first bytes, no active content anywhere (markers split between
/// two pieces included), and a proper end.
#[derive(Debug, Default)]
pub struct Inspector {
    head: Vec<u8>,
    file_type: Option<FileType>,
    /// The last bytes seen: the overlap for markers and the end check.
    tail: Vec<u8>,
    size: u64,
    refused: Option<Refused>,
}

impl Inspector {
    /// Feeds the next piece of the file. Once refused, it stays refused.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), Refused> {
        if let Some(r) = &self.refused {
            return Err(r.clone());
        }
        self.size += piece.len() as u64;
        if self.file_type.is_none() {
            let want = HEAD.saturating_sub(self.head.len()).min(piece.len());
            self.head.extend_from_slice(&piece[..want]);
            if self.head.len() >= HEAD {
                match FileType::sniff(&self.head) {
                    Some(t) => self.file_type = Some(t),
                    None => return Err(self.refuse(unsupported())),
                }
            }
        }
        // Search the overlap with the previous piece and this piece.
        let overlap = self.tail.len().min(LONGEST_MARKER - 1);
        let mut window = Vec::with_capacity(overlap + piece.len().min(LONGEST_MARKER - 1));
        window.extend_from_slice(&self.tail[self.tail.len() - overlap..]);
        window.extend_from_slice(&piece[..piece.len().min(LONGEST_MARKER - 1)]);
        if contains_marker(&window) || contains_marker(piece) {
            return Err(self.refuse(active_content()));
        }
        self.tail.extend_from_slice(piece);
        if self.tail.len() > TAIL {
            let cut = self.tail.len() - TAIL;
            self.tail.drain(..cut);
        }
        Ok(())
    }

    /// The file is complete: its type, or why it is refused.
    pub fn finish(mut self) -> Result<FileType, Refused> {
        if let Some(r) = self.refused.take() {
            return Err(r);
        }
        if self.size == 0 {
            return Err(Refused::new("empty_file", Text::new("problem-empty_file")));
        }
        let file_type = match self.file_type {
            Some(t) => t,
            None => FileType::sniff(&self.head).ok_or_else(unsupported)?,
        };
        if !file_type.ends_properly(&self.tail) {
            return Err(Refused::new(
                "malformed_file",
                Text::new("problem-malformed_file").text("type", file_type.to_string()),
            ));
        }
        Ok(file_type)
    }

    fn refuse(&mut self, r: Refused) -> Refused {
        self.refused = Some(r.clone());
        r
    }
}

/// The name's extension must say the type the bytes are.
pub fn check_extension(name: &str, file_type: FileType) -> Result<(), Refused> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if file_type.extensions().contains(&ext.as_str()) {
        Ok(())
    } else {
        let detail = match file_type.extensions() {
            [first, second] => Text::new("problem-file_name_mismatch-either")
                .text("first", *first)
                .text("second", *second),
            // One extension (no type has more than two).
            all => Text::new("problem-file_name_mismatch-one").text("extension", all.join(" or .")),
        };
        Err(Refused::new(
            "file_name_mismatch",
            detail.text("type", file_type.to_string()),
        ))
    }
}

fn unsupported() -> Refused {
    Refused::new(
        "unsupported_file_type",
        Text::new("problem-unsupported_file_type"),
    )
}

fn active_content() -> Refused {
    Refused::new("active_content", Text::new("problem-active_content"))
}

fn contains_marker(bytes: &[u8]) -> bool {
    // Every marker starts with '<' or '/': look only where one of those is.
    bytes.iter().enumerate().any(|(i, b)| {
        (*b == b'<' || *b == b'/')
            && ACTIVE_MARKERS.iter().any(|m| {
                bytes.len() - i >= m.len() && bytes[i..i + m.len()].eq_ignore_ascii_case(m)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(pieces: &[&[u8]]) -> Result<FileType, String> {
        let mut i = Inspector::default();
        for p in pieces {
            i.feed(p).map_err(|r| r.code.to_string())?;
        }
        i.finish().map_err(|r| r.code.to_string())
    }

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";

    #[test]
    fn types_are_read_from_the_bytes() {
        assert_eq!(inspect(&[PDF]), Ok(FileType::Pdf));
        let png = [PNG_SIGNATURE, b"\0\0\0\rIHDR....", PNG_IEND].concat();
        assert_eq!(inspect(&[&png]), Ok(FileType::Png));
        assert_eq!(
            inspect(&[b"\xFF\xD8\xFF\xE0\0\x10JFIF\0 ... \xFF\xD9"]),
            Ok(FileType::Jpeg)
        );
        assert_eq!(
            inspect(&[b"\x7fELF\x02\x01\x01\0\0\0"]),
            Err("unsupported_file_type".into())
        );
        assert_eq!(inspect(&[b"MZ\x90\0"]), Err("unsupported_file_type".into()));
        assert_eq!(inspect(&[]), Err("empty_file".into()));
    }

    #[test]
    fn a_type_split_over_pieces_is_still_read() {
        assert_eq!(
            inspect(&[b"%P", b"DF-1.", b"4\n", b"%%EOF"]),
            Ok(FileType::Pdf)
        );
    }

    #[test]
    fn active_content_is_found_wherever_it_is() {
        let polyglot = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF";
        assert_eq!(inspect(&[polyglot]), Err("active_content".into()));
        // Split across two pieces, in another case.
        assert_eq!(
            inspect(&[b"%PDF-1.4\n<SCR", b"IPT>\n%%EOF"]),
            Err("active_content".into())
        );
        assert_eq!(
            inspect(&[b"%PDF-1.4\n<< /S /JavaScript /JS (app.alert(1)) >>\n%%EOF"]),
            Err("active_content".into())
        );
    }

    #[test]
    fn bytes_after_the_end_are_refused() {
        let appended = [PDF, b"PK\x03\x04zip"].concat();
        assert_eq!(inspect(&[&appended]), Err("malformed_file".into()));
        assert_eq!(
            inspect(&[b"\xFF\xD8\xFF\xE0 no end"]),
            Err("malformed_file".into())
        );
    }

    #[test]
    fn names_must_be_file_names_with_the_right_extension() {
        assert!(tidy_file_name("../etc/passwd").is_err());
        assert!(tidy_file_name("a\"b.pdf").is_err());
        assert!(tidy_file_name(" .pdf").is_err());
        assert_eq!(tidy_file_name(" Memo 2026.pdf ").unwrap(), "Memo 2026.pdf");
        assert!(check_extension("memo.PDF", FileType::Pdf).is_ok());
        assert!(check_extension("photo.jpeg", FileType::Jpeg).is_ok());
        assert!(check_extension("memo.exe", FileType::Pdf).is_err());
        assert!(check_extension("memo", FileType::Pdf).is_err());
    }
}
