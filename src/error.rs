//! Errors the library reports. A planner reads these: each names the file, the row and the
//! column where it can, what was found and what was expected.

use std::path::PathBuf;

/// One problem found in one cell (or row) of an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based data row (the header is not counted); `None` for a whole-file problem.
    pub row: Option<usize>,
    /// Column name, when the problem is in one column.
    pub column: Option<String>,
    /// What is wrong, in a planner's words.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, "row {r} (line {}), column `{c}`: {}", r + 1, self.message),
            (Some(r), None) => write!(f, "row {r} (line {}): {}", r + 1, self.message),
            (None, Some(c)) => write!(f, "column `{c}`: {}", self.message),
            (None, None) => write!(f, "{}", self.message),
        }
    }
}

/// How many problems of one file are listed before the rest are counted.
pub const MAX_LISTED: usize = 10;

/// Errors of the whole library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data folder does not exist.
    #[error("data folder `{}` does not exist", .0.display())]
    MissingDir(PathBuf),
    /// A required input file is absent.
    #[error("no `{name}` file in `{}`: expected `{name}.csv`, `{name}.parquet` or `{name}.xlsx` (or a `path` in [files.{name}] of the settings)", dir.display())]
    MissingFile {
        /// Logical file name (`sales`, `items`, ...).
        name: String,
        /// Folder searched.
        dir: PathBuf,
    },
    /// Both a CSV and a Parquet version exist, so which to read is ambiguous.
    #[error("more than one `{name}` file (.csv, .parquet, .xlsx) is in `{}`: keep one", dir.display())]
    AmbiguousFile {
        /// Logical file name.
        name: String,
        /// Folder searched.
        dir: PathBuf,
    },
    /// One or more problems in the content of a file.
    #[error("{}", format_problems(path, problems))]
    Invalid {
        /// File with the problems.
        path: PathBuf,
        /// Problems found, in file order.
        problems: Vec<Problem>,
    },
    /// Required columns are missing; `suggestion` is a ready `[files.NAME.columns]` block.
    #[error(
        "{}\nTo read the file as it is, name its columns in replen.toml (check the guesses):\n{suggestion}",
        format_problems(path, problems)
    )]
    Columns {
        /// File with the problems.
        path: PathBuf,
        /// One problem per missing column.
        problems: Vec<Problem>,
        /// The mapping block, with guesses from the header.
        suggestion: String,
    },
    /// The file could not be read at all (permissions, corrupt Parquet, ...).
    #[error("cannot read `{}`", path.display())]
    Read {
        /// File that failed.
        path: PathBuf,
        /// What polars reported.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A table has a header and no data rows: an error for the sales, items and inventory,
    /// an empty table for the optional ones (no backorders this week).
    #[error("invalid data in `{}`, the file has a header but no data rows", path.display())]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// Reading a settings file failed.
    #[error("cannot read `{}`", path.display())]
    ReadText {
        /// File that failed.
        path: PathBuf,
        /// Underlying cause.
        #[source]
        source: std::io::Error,
    },
    /// Writing an output failed.
    #[error("cannot write `{}`", path.display())]
    Write {
        /// File that failed.
        path: PathBuf,
        /// Underlying cause.
        #[source]
        source: std::io::Error,
    },
    /// A setting is outside its allowed range.
    #[error("invalid setting `{name}` = `{value}`: {expected}")]
    Setting {
        /// Setting name.
        name: String,
        /// Value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The output folders given to `merge` are not the parts of one split plan.
    #[error("{0}")]
    Parts(String),
    /// A polars operation failed on data that had already been validated.
    #[error("table operation failed")]
    Polars(#[from] polars::error::PolarsError),
}

fn format_problems(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut s = String::new();
    let n = problems.len();
    if n == 1 {
        s.push_str(&format!("invalid data in `{}`, {}", path.display(), problems[0]));
        return s;
    }
    s.push_str(&format!("{n} problems in `{}`:", path.display()));
    for p in problems.iter().take(MAX_LISTED) {
        s.push_str(&format!("\n  - {p}"));
    }
    if n > MAX_LISTED {
        s.push_str(&format!("\n  ... and {} more", n - MAX_LISTED));
    }
    s
}

impl Error {
    /// True when the error is the user's input (exit code 2) rather than a failure of the run.
    pub fn is_input(&self) -> bool {
        if let Error::Write { source, .. } = self {
            // An output path the user can fix: no permission, a file where a folder must be.
            use std::io::ErrorKind as K;
            return matches!(
                source.kind(),
                K::PermissionDenied | K::ReadOnlyFilesystem | K::NotADirectory | K::IsADirectory | K::AlreadyExists
            );
        }
        matches!(
            self,
            Error::MissingDir(_)
                | Error::MissingFile { .. }
                | Error::AmbiguousFile { .. }
                | Error::Invalid { .. }
                | Error::NoRows { .. }
                | Error::Columns { .. }
                | Error::Setting { .. }
                | Error::Parts(_)
                | Error::Read { .. }
                | Error::ReadText { .. }
        )
    }
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
